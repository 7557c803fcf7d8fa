#!/usr/bin/env python3
"""Generate an Active-Directory-shaped test directory as LDIF on stdout.

    gen_ad_ldif.py --users N [--groups M] [--members-per-group K]
                   [--big-group NAME:SIZE]... [--disabled-every D]
                   [--computers C] [--foreign F] [--cycle]
                   [--base DN] [--seed S]

Load the output into a Samba (or Windows) domain controller whose domain
is --base (default DC=example,DC=test), e.g. with samba_load of
tests/samba.sh.  It creates the containers it uses: OU=Staff, OU=Groups
and, with --computers, OU=Workstations, all directly below the base.
Users need no password.  The user principal names' suffix is the base's
DC components joined with dots (example.test).

Users: CN=userNNNNNNN,OU=Staff,BASE (objectClass top, person,
organizationalPerson, user; numbered from 1, seven digits) with
sAMAccountName userNNNNNNN, userPrincipalName and mail
userNNNNNNN@SUFFIX, givenName, sn, displayName and userAccountControl 512
(a normal account), or 514 (disabled, bit 0x2) for every D-th user
(user D, 2D, ...) with --disabled-every D.  Their primary group is the
domain's own Domain Users (primaryGroupID 513, set by the DC).

Groups: CN=groupNNNN,OU=Groups,BASE (objectClass top, group: global
security groups; numbered from 1), each with K distinct users drawn at
random (reproducible: the same arguments and seed give the same bytes).
Nesting as in gen_ldif.py: every 5th group also has the previous group as
a member, and every 25th group also has the group 5 before it, so
group0025 -> group0020 -> group0019 is three levels deep.  A group may be
empty.  --cycle (M >= 2) makes group0001 and groupM members of each
other: a circular nesting, written as groupM's member and then one
"changetype: modify" record at the end that adds groupM to group0001 (a
DC takes only members that exist, so a cycle needs a modify).

--big-group NAME:SIZE adds CN=NAME,OU=Groups,BASE whose direct members are
user0000001 .. user(SIZE); SIZE must not exceed N.  May be repeated.

--computers C adds CN=hostNNNN,OU=Workstations,BASE (objectClass top,
person, organizationalPerson, user, computer; sAMAccountName hostNNNN$,
userAccountControl 4096, a workstation trust account), and --foreign F
the foreign security principals S-1-5-21-1000000001-1000000002-1000000003-
(1000+i), i = 1..F, as members: the DC makes their objects
CN=S-1-5-21-...,CN=ForeignSecurityPrincipals,BASE when a group names them
by SID (member: <SID=...>).  Every computer and foreign principal is a
member of group0001 (when M > 0) and of every big group: members that
are not users.

Output is streamed: memory use does not grow with N.
"""

import argparse
import itertools
import os
import random
import re
import sys

FOREIGN_DOMAIN = "S-1-5-21-1000000001-1000000002-1000000003"
UAC_NORMAL = 512
UAC_DISABLED = 0x2
UAC_WORKSTATION = 4096


def user_name(i):
    return "user%07d" % i


def group_name(j):
    return "group%04d" % j


def host_name(c):
    return "host%04d" % c


def foreign_sid(f):
    return "%s-%d" % (FOREIGN_DOMAIN, 1000 + f)


def big_group(spec):
    m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*):([0-9]+)", spec)
    if not m:
        raise argparse.ArgumentTypeError(
            "expected NAME:SIZE (NAME of letters, digits, '.', '_', '-'): %r"
            % spec)
    return m.group(1), int(m.group(2))


def non_negative(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number: %r" % text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative: %r" % text)
    return value


def base_dn(text):
    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(re.fullmatch(r"(?i)dc=[A-Za-z0-9-]+", p)
                            for p in parts):
        raise argparse.ArgumentTypeError(
            "expected a domain's DN of DC= components only: %r" % text)
    return ",".join("DC=" + p[3:] for p in parts)


class Directory:
    """The names of one generated directory below BASE."""

    def __init__(self, base):
        self.base = base
        self.suffix = ".".join(p[3:] for p in base.split(",")).lower()
        self.staff = "OU=Staff," + base
        self.groups = "OU=Groups," + base
        self.hosts = "OU=Workstations," + base

    def user_dn(self, i):
        return "CN=%s,%s" % (user_name(i), self.staff)

    def group_dn(self, name):
        return "CN=%s,%s" % (name, self.groups)

    def host_dn(self, c):
        return "CN=%s,%s" % (host_name(c), self.hosts)


def write_ou(out, dn, name):
    out.write("dn: %s\nobjectClass: top\nobjectClass: organizationalUnit\n"
              "ou: %s\n\n" % (dn, name))


def write_user(out, d, i, disabled):
    name = user_name(i)
    num = name[4:]
    out.write("dn: %s\nobjectClass: top\nobjectClass: person\n"
              "objectClass: organizationalPerson\nobjectClass: user\n"
              "cn: %s\nsAMAccountName: %s\nuserPrincipalName: %s@%s\n"
              "mail: %s@%s\ngivenName: User\nsn: %s\ndisplayName: User %s\n"
              "userAccountControl: %d\n\n"
              % (d.user_dn(i), name, name, name, d.suffix, name, d.suffix,
                 num, num,
                 UAC_NORMAL | UAC_DISABLED if disabled else UAC_NORMAL))


def write_host(out, d, c):
    name = host_name(c)
    out.write("dn: %s\nobjectClass: top\nobjectClass: person\n"
              "objectClass: organizationalPerson\nobjectClass: user\n"
              "objectClass: computer\ncn: %s\nsAMAccountName: %s$\n"
              "userAccountControl: %d\n\n"
              % (d.host_dn(c), name, name, UAC_WORKSTATION))


def write_group(out, d, name, members):
    out.write("dn: %s\nobjectClass: top\nobjectClass: group\ncn: %s\n"
              "sAMAccountName: %s\n" % (d.group_dn(name), name, name))
    for dn in members:
        out.write("member: %s\n" % dn)
    out.write("\n")


def main(argv):
    ap = argparse.ArgumentParser(
        description="Write an Active-Directory-shaped test directory as "
        "LDIF to stdout.")
    ap.add_argument("--users", type=non_negative, required=True, metavar="N")
    ap.add_argument("--groups", type=non_negative, default=0, metavar="M")
    ap.add_argument("--members-per-group", type=non_negative, default=0,
                    metavar="K")
    ap.add_argument("--big-group", type=big_group, action="append",
                    default=[], metavar="NAME:SIZE")
    ap.add_argument("--disabled-every", type=non_negative, default=0,
                    metavar="D")
    ap.add_argument("--computers", type=non_negative, default=0,
                    metavar="C")
    ap.add_argument("--foreign", type=non_negative, default=0, metavar="F")
    ap.add_argument("--cycle", action="store_true")
    ap.add_argument("--base", type=base_dn, default="DC=example,DC=test",
                    metavar="DN")
    ap.add_argument("--seed", type=int, default=1, metavar="S")
    args = ap.parse_args(argv)

    n, m, k = args.users, args.groups, args.members_per_group
    if m > 0 and k > n:
        ap.error("--members-per-group %d exceeds --users %d" % (k, n))
    if args.cycle and m < 2:
        ap.error("--cycle needs --groups 2 or more")
    for name, size in args.big_group:
        if size > n:
            ap.error("--big-group %s:%d exceeds --users %d" % (name, size, n))
        if re.fullmatch(r"group[0-9]{4}", name):
            ap.error("--big-group %s: the name of a numbered group" % name)

    d = Directory(args.base)
    rng = random.Random(args.seed)
    out = sys.stdout
    out.write("# Generated by gen_ad_ldif.py %s\n\n" % " ".join(argv))

    write_ou(out, d.staff, "Staff")
    write_ou(out, d.groups, "Groups")
    if args.computers:
        write_ou(out, d.hosts, "Workstations")

    every = args.disabled_every
    for i in range(1, n + 1):
        write_user(out, d, i, every and i % every == 0)
    for c in range(1, args.computers + 1):
        write_host(out, d, c)

    extras = [d.host_dn(c) for c in range(1, args.computers + 1)]
    extras += ["<SID=%s>" % foreign_sid(f)
               for f in range(1, args.foreign + 1)]
    for j in range(1, m + 1):
        # sample() over a range does not build the list of all users.
        picks = sorted(rng.sample(range(1, n + 1), k))
        members = [d.user_dn(i) for i in picks]
        if j % 5 == 0 and j > 1:
            members.append(d.group_dn(group_name(j - 1)))
        if j % 25 == 0:
            members.append(d.group_dn(group_name(j - 5)))
        if j == 1:
            members += extras
        if j == m and args.cycle:
            members.append(d.group_dn(group_name(1)))
        write_group(out, d, group_name(j), members)

    for name, size in args.big_group:
        users = (d.user_dn(i) for i in range(1, size + 1))
        write_group(out, d, name, itertools.chain(users, extras))

    if args.cycle:
        out.write("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n-\n\n"
                  % (d.group_dn(group_name(1)), d.group_dn(group_name(m))))

    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): exit quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
