#!/usr/bin/env node
// tests/adserver/adserver.js - an LDAP server that answers the way Active
// Directory does where clients most often get AD wrong, for licsync's
// tests.  Samba's AD DC does not enforce MaxValRange; this server does.
//
// Usage:
//   node adserver.js [options] LDIF
//
//   --base DN                 the domain's naming context
//                             (default DC=example,DC=test)
//   --host ADDR --port N      where to listen (default 127.0.0.1, port 0:
//                             any free port)
//   --port-file FILE          written (atomically) with the port once the
//                             server listens
//   --tls-cert PEM --tls-key PEM   serve ldaps:// instead of ldap://
//   --bind-dn DN --bind-password PW   the one account a simple bind may
//                             name; any other name or password gets
//                             invalidCredentials (49)
//   --allow-anonymous         let connections that have not bound search
//   --max-val-range N         MaxValRange (default 1500)
//   --max-page-size N         MaxPageSize (default 1000)
//   --reference URL           one more continuation reference (repeatable),
//                             (ldap://child.example.test/DC=child,DC=...)
//   --no-references           no continuation references at all
//   --break-range DN          follow-up ranged requests (low > 0) for this
//                             entry return it without the attribute
//   --break-range-error DN    ... fail with --break-range-code instead
//   --break-range-code N      51 (busy, the default) or 53, say
//   --fail-after-pages N      a paged search fails with busy (51) when asked
//                             for page N+1
//   --log FILE                the request log (default: stderr)
//
// What it does, after [MS-ADTS] (section numbers are [MS-ADTS]'s):
// - Entries come from the LDIF file (dn:, attr: value, attr:: base64,
//   folded lines, comments, records separated by blank lines).  Attribute
//   names and DNs compare case-insensitively; DNs also ignoring spaces
//   around "," and "=" and the form of escapes.  Entries are returned in
//   LDIF order and DNs exactly as the LDIF writes them.
// - Computed like AD: memberOf (the back link of member; memberOf lines in
//   the LDIF are ignored), distinguishedName, objectCategory (from
//   objectClass when the LDIF has none), primaryGroupToken (a group's RID,
//   or its primaryGroupToken line; returned only when asked for by name in
//   a base search, 3.1.1.4.5).  objectSid given as S-1-5-... is served in
//   binary, as AD stores it, and (objectSid=S-1-5-...) matches it.
// - The rootDSE (base "", scope base) answers without a bind, says it is
//   AD (supportedCapabilities 1.2.840.113556.1.4.800) and lists the
//   naming contexts of a forest root domain.
// - Binds: a simple bind with an empty name or password is anonymous and
//   succeeds, as on AD; without --allow-anonymous an anonymous connection
//   may read only the rootDSE; anything else gets operationsError (1)
//   "000004DC ... a successful bind must be completed".  A bind name that
//   is no DN (a UPN, DOMAIN\user, which AD takes) never gets here: ldapjs
//   answers invalidDNSyntax (34) itself.  SASL binds get protocolError.
// - Filters: equality, presence, substrings, >=, <=, ~= (as equality),
//   and/or/not, and the extensible rules 1.2.840.113556.1.4.803 (bitwise
//   AND), .804 (bitwise OR) and .1941 (LDAP_MATCHING_RULE_IN_CHAIN, safe
//   on cycles).  (objectCategory=person) matches CN=Person,CN=Schema,...
//   Assertion values are compared as text: binary assertion values (an
//   escaped objectSid) match nothing.
// - Ranged retrieval (3.1.1.3.1.3.3): an attribute with more than
//   MaxValRange values comes back as ATTR;range=0-(N-1), in every kind of
//   search.  ATTR;range=LOW-HIGH and ATTR;range=LOW-* return at most N
//   values from LOW, named ATTR;range=LOW-END, or ATTR;range=LOW-* when
//   they reach the last value.  LOW beyond the last value: operationsError
//   (1) for link attributes (member, memberOf, ...) unless the request has
//   LDAP_SERVER_RANGE_RETRIEVAL_NOERR_OID (1.2.840.113556.1.4.1948,
//   3.1.1.3.4.1.22), which makes it leave the attribute out instead; other
//   attributes are left out, and so is an attribute the entry lacks.
//   HIGH < LOW: operationsError.  MaxValRange and MaxPageSize are the LDAP
//   policies of 3.1.1.3.4.6.
// - Paging (3.1.1.3.4.1.1): with the paged results control a page holds
//   min(requested size, MaxPageSize) entries; a size of 0 ends the search.
//   A cookie belongs to the search that made it (base, scope, filter,
//   attributes); another search's cookie gets unwillingToPerform (53).
//   Without the control a search returns MaxPageSize entries, then
//   sizeLimitExceeded (4).  The request's size limit counts over all pages.
// - Continuation references (SearchResultReference), sent after the last
//   entry of a search that ran to its end: for each naming context below
//   the domain, ldap://<its DNS name>/<its DN>, on a subtree search above
//   it or a one-level search on its parent: DC=ForestDnsZones,
//   DC=DomainDnsZones and CN=Configuration, plus every --reference.
//   LDAP_SERVER_DOMAIN_SCOPE_OID (1.2.840.113556.1.4.1339) turns them off.
//   A base inside one of those naming contexts, or outside the domain,
//   gets a referral (10) unless the LDIF holds it; a missing base inside
//   the domain gets noSuchObject (32) with the best match.
// - Add, modify, delete, modrdn and compare: unwillingToPerform (53);
//   extended operations (StartTLS too): protocolError (2).
// - A critical control the server does not know:
//   unavailableCriticalExtension (12).  A request ldapjs cannot parse (an
//   attribute description such as "member;range=x") closes the connection.
// - Every request is logged on one line when it is answered, e.g.
//     search conn=2 msg=3 base="DC=example,DC=test" scope=sub
//     filter="(cn=x)" attrs="member;range=1500-*"
//     controls="1.2.840.113556.1.4.319(size=500,cookie=0)" result=0
//     entries=1 refs=3
//   (on one line); bind lines carry dn=, unbind and abandon lines only
//   conn= and msg=.
//
// Runs on the ldapjs 3.0.7 that tests/adserver/package-lock.json pins (see
// tests/adserver.sh, which installs it and sets NODE_PATH).  Two of
// ldapjs's internals are replaced below (search request parsing keeps the
// client's filter and base as sent; requests are dispatched here rather
// than by ldapjs's DN routes), so do not move the pin without rereading
// patchLdapjs().
'use strict'

const crypto = require('crypto')
const fs = require('fs')
const { parseArgs } = require('util')
const ldap = require('ldapjs')

const OID = {
  AD_CAPABILITY: '1.2.840.113556.1.4.800',
  PAGED: '1.2.840.113556.1.4.319',
  DOMAIN_SCOPE: '1.2.840.113556.1.4.1339',
  RANGE_NOERR: '1.2.840.113556.1.4.1948',
  BIT_AND: '1.2.840.113556.1.4.803',
  BIT_OR: '1.2.840.113556.1.4.804',
  IN_CHAIN: '1.2.840.113556.1.4.1941'
}
const SUPPORTED_CONTROLS = [OID.PAGED, OID.DOMAIN_SCOPE, OID.RANGE_NOERR]

const RC = {
  SUCCESS: 0,
  OPERATIONS_ERROR: 1,
  PROTOCOL_ERROR: 2,
  SIZE_LIMIT_EXCEEDED: 4,
  REFERRAL: 10,
  UNAVAILABLE_CRITICAL_EXTENSION: 12,
  NO_SUCH_OBJECT: 32,
  INVALID_DN_SYNTAX: 34,
  INVALID_CREDENTIALS: 49,
  BUSY: 51,
  UNWILLING_TO_PERFORM: 53
}

const SCOPE = { BASE: 0, ONE: 1, SUB: 2 }
const SCOPE_NAMES = ['base', 'one', 'sub']

// AD's own diagnostic messages, so clients' error output looks like it
// would against a DC.
const MSG_NO_BIND = '000004DC: LdapErr: DSID-0C090A5C, comment: In order to ' +
  'perform this operation a successful bind must be completed on the ' +
  'connection., data 0, v4563'
const MSG_BAD_CREDENTIALS = '80090308: LdapErr: DSID-0C09041C, comment: ' +
  'AcceptSecurityContext error, data 52e, v4563'

// Attributes whose values are DNs (compared as DNs), and those of them
// that are link attributes (3.1.1.3.4.1.22 treats those specially).
const DN_ATTRS = new Set(['member', 'memberof', 'distinguishedname',
  'manager', 'managedby', 'managedobjects', 'directreports',
  'objectcategory', 'owner', 'seealso'])
const LINK_ATTRS = new Set(['member', 'memberof', 'manager', 'managedby',
  'managedobjects', 'directreports'])

// objectCategory for entries whose LDIF has none: the first objectClass
// found here, checked in this order (a computer is also a user).
const CATEGORIES = [['computer', 'Computer'], ['user', 'Person'],
  ['person', 'Person'], ['group', 'Group'],
  ['organizationalunit', 'Organizational-Unit'], ['container', 'Container'],
  ['domaindns', 'Domain-DNS'],
  ['foreignsecurityprincipal', 'Foreign-Security-Principal']]

/** An LDAP error result: code, diagnostic message, referral URLs. */
class Fault extends Error {
  constructor (code, message, referrals = []) {
    super(message)
    this.code = code
    this.referrals = referrals
  }
}

/** A DN ldapjs sends as written: it only calls toString() on it. */
class RawDn {
  constructor (text) {
    this.text = text
  }

  toString () {
    return this.text
  }

  get [Symbol.toStringTag] () {
    return 'LdapDn'
  }
}

// ---- options ---------------------------------------------------------

function usage (message) {
  process.stderr.write(`adserver.js: ${message}\n` +
    'usage: adserver.js [--base DN] [--port-file FILE] [--log FILE] ' +
    '[--bind-dn DN --bind-password PW] [--allow-anonymous] ' +
    '[--max-val-range N] [--max-page-size N] [--reference URL]... ' +
    '[--no-references] [--break-range DN]... [--break-range-error DN]... ' +
    '[--break-range-code N] [--fail-after-pages N] ' +
    '[--tls-cert PEM --tls-key PEM] [--host ADDR] [--port N] LDIF\n')
  process.exit(2)
}

function count (text, name, min) {
  if (!/^[0-9]+$/.test(text) || Number(text) < min) {
    usage(`--${name} wants a whole number of at least ${min}: '${text}'`)
  }
  return Number(text)
}

function readOptions (argv) {
  const str = { type: 'string' }
  const many = { type: 'string', multiple: true, default: [] }
  const flag = { type: 'boolean', default: false }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        base: { type: 'string', default: 'DC=example,DC=test' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'port-file': str,
        'tls-cert': str,
        'tls-key': str,
        'bind-dn': str,
        'bind-password': str,
        'allow-anonymous': flag,
        'max-val-range': { type: 'string', default: '1500' },
        'max-page-size': { type: 'string', default: '1000' },
        reference: many,
        'no-references': flag,
        'break-range': many,
        'break-range-error': many,
        'break-range-code': { type: 'string', default: '51' },
        'fail-after-pages': str,
        log: str
      }
    })
  } catch (err) {
    usage(err.message)
  }
  const o = parsed.values
  if (parsed.positionals.length !== 1) usage('one LDIF file expected')
  if (!dnParts(o.base)) usage(`--base is not a DN: '${o.base}'`)
  if (Boolean(o['tls-cert']) !== Boolean(o['tls-key'])) {
    usage('--tls-cert and --tls-key go together')
  }
  if ((o['bind-dn'] === undefined) !== (o['bind-password'] === undefined)) {
    usage('--bind-dn and --bind-password go together')
  }
  return {
    ldif: parsed.positionals[0],
    base: o.base,
    host: o.host,
    port: count(o.port, 'port', 0),
    portFile: o['port-file'],
    tlsCert: o['tls-cert'],
    tlsKey: o['tls-key'],
    bindDn: o['bind-dn'],
    bindPassword: o['bind-password'],
    allowAnonymous: o['allow-anonymous'],
    maxValRange: count(o['max-val-range'], 'max-val-range', 1),
    maxPageSize: count(o['max-page-size'], 'max-page-size', 1),
    references: o.reference,
    noReferences: o['no-references'],
    breakRange: new Set(o['break-range'].map(normDn)),
    breakRangeError: new Set(o['break-range-error'].map(normDn)),
    breakRangeCode: count(o['break-range-code'], 'break-range-code', 1),
    failAfterPages: o['fail-after-pages'] === undefined
      ? null : count(o['fail-after-pages'], 'fail-after-pages', 0),
    log: o.log
  }
}

// ---- DNs and SIDs -----------------------------------------------------

/**
 * The RDNs of a DN as [type, value] pairs, types in lower case, values
 * unescaped; null when it is not a DN.  Multi-valued RDNs (a+b=c) stay
 * one value; that is enough for comparing.
 */
function dnParts (dn) {
  const parts = []
  if (dn.trim() === '') return parts
  let i = 0
  while (i <= dn.length) {
    const eq = dn.indexOf('=', i)
    if (eq < 0) return null
    const type = dn.slice(i, eq).trim().toLowerCase()
    if (!/^([a-z][a-z0-9-]*|[0-9]+(\.[0-9]+)*)$/.test(type)) return null
    // The value ends at the first "," that no backslash escapes.
    let j = eq + 1
    let escaped = false
    while (j < dn.length && dn[j] !== ',') {
      if (dn[j] === '\\') {
        escaped = true
        j++
      }
      j++
    }
    if (j > dn.length) return null // a backslash at the very end
    const raw = dn.slice(eq + 1, j)
    parts.push([type, (escaped ? unescapeDnValue(raw) : raw).trim()])
    i = j + 1
  }
  return parts
}

/** An RDN value with its backslash escapes (\, and \2C) undone. */
function unescapeDnValue (raw) {
  const bytes = []
  for (let k = 0; k < raw.length; k++) {
    if (raw[k] !== '\\') {
      bytes.push(...Buffer.from(raw[k]))
    } else if (/^[0-9a-fA-F]{2}$/.test(raw.slice(k + 1, k + 3))) {
      bytes.push(parseInt(raw.slice(k + 1, k + 3), 16))
      k += 2
    } else {
      bytes.push(...Buffer.from(raw[++k]))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/**
 * A canonical form for comparing DNs: lower case, no spaces around the
 * separators, every special character of a value escaped as \XX, so that
 * "," only ever separates RDNs.  Text that is no DN is only lower-cased.
 */
function normDn (dn) {
  const parts = dnParts(String(dn))
  if (!parts) return String(dn).trim().toLowerCase()
  return parts.map(([type, value]) => type + '=' + value.toLowerCase()
    .replace(/[\\,+"<>;=#]/g, c => '\\' + c.charCodeAt(0).toString(16)))
    .join(',')
}

function parentNorm (norm) {
  const comma = norm.indexOf(',')
  return comma < 0 ? '' : norm.slice(comma + 1)
}

/** Is canonical DN a at or below canonical DN b? */
function under (a, b) {
  return a === b || (b === '' ? a !== '' : a.endsWith(',' + b))
}

/** The DNS name of a DN's DC= components (DC=example,DC=test: example.test). */
function dnsName (dn) {
  return (dnParts(dn) || []).filter(([type]) => type === 'dc')
    .map(([, value]) => value).join('.')
}

/** S-1-5-21-1-2-3-1105 in AD's binary form; null if it is no SID. */
function sidToBinary (text) {
  const m = /^S-1-([0-9]+)((?:-[0-9]+)*)$/i.exec(text)
  if (!m) return null
  const subs = m[2] === '' ? [] : m[2].slice(1).split('-').map(Number)
  if (subs.length > 15 || subs.some(s => s > 0xffffffff)) return null
  const buf = Buffer.alloc(8 + 4 * subs.length)
  buf[0] = 1
  buf[1] = subs.length
  buf.writeUIntBE(Number(m[1]), 2, 6)
  subs.forEach((s, k) => buf.writeUInt32LE(s, 8 + 4 * k))
  return buf
}

function sidToText (buf) {
  if (!Buffer.isBuffer(buf) || buf.length < 8 || buf[0] !== 1 ||
      buf.length !== 8 + 4 * buf[1]) return null
  let text = 'S-1-' + buf.readUIntBE(2, 6)
  for (let k = 0; k < buf[1]; k++) text += '-' + buf.readUInt32LE(8 + 4 * k)
  return text
}

// ---- LDIF -------------------------------------------------------------

/**
 * The records of an LDIF text: [{dn, line, attrs: [[name, value]]}], a
 * value a string, or a Buffer when the LDIF gives it in base64.
 */
function readLdif (text, file) {
  const lines = []
  text.split(/\r?\n/).forEach((line, k) => {
    const last = lines[lines.length - 1]
    if (line.startsWith(' ') && last && last.text !== '') {
      last.text += line.slice(1)
    } else {
      lines.push({ no: k + 1, text: line })
    }
  })
  const records = []
  let rec = null
  for (const { no, text: line } of lines) {
    const where = `${file}:${no}`
    if (line === '') {
      rec = null
      continue
    }
    if (line.startsWith('#')) continue
    const m = /^([A-Za-z0-9][A-Za-z0-9;.-]*):(:|<)?\s*(.*)$/.exec(line)
    if (!m) throw new Error(`${where}: not an LDIF line: '${line}'`)
    const name = m[1]
    if (m[2] === '<') throw new Error(`${where}: URL values are not supported`)
    const value = m[2] === ':' ? Buffer.from(m[3], 'base64') : m[3]
    if (!rec) {
      if (name.toLowerCase() === 'version' && records.length === 0) continue
      if (name.toLowerCase() !== 'dn') {
        throw new Error(`${where}: a record must start with dn:`)
      }
      rec = { dn: value.toString(), line: no, attrs: [] }
      records.push(rec)
    } else if (name.toLowerCase() === 'changetype') {
      throw new Error(`${where}: change records are not supported`)
    } else {
      rec.attrs.push([name, value])
    }
  }
  return records
}

// ---- the directory ----------------------------------------------------

/**
 * The entries, indexed by canonical DN.  An entry is {dn, norm, parent,
 * nc, attrs: Map(lower-case name -> {name, values}), pgt}: values are
 * strings and Buffers (binary ones), nc is the canonical DN of the
 * referenced naming context the entry lies in, or null.
 */
class Directory {
  constructor (records, cfg, file) {
    this.base = cfg.base
    this.baseNorm = normDn(cfg.base)
    this.refs = cfg.refs
    this.entries = new Map()
    this.order = []
    let ignoredMemberOf = false
    for (const rec of records) {
      if (!dnParts(rec.dn)) {
        throw new Error(`${file}:${rec.line}: not a DN: '${rec.dn}'`)
      }
      const e = this.add(rec.dn, rec.attrs)
      if (!e) {
        throw new Error(`${file}:${rec.line}: duplicate entry '${rec.dn}'`)
      }
      ignoredMemberOf = e.attrs.delete('memberof') || ignoredMemberOf
    }
    if (ignoredMemberOf) {
      process.stderr.write('adserver.js: memberOf in the LDIF is ignored: ' +
        'it is computed from member\n')
    }
    if (!this.entries.has(this.baseNorm)) {
      const dc = (dnParts(cfg.base)[0] || [])[1] || ''
      this.add(cfg.base, [['objectClass', 'top'], ['objectClass', 'domain'],
        ['objectClass', 'domainDNS'], ['dc', dc]])
    }
    this.linkMemberOf()
  }

  /** Adds an entry; returns it, or null when the DN is taken. */
  add (dn, attrList) {
    const norm = normDn(dn)
    if (this.entries.has(norm)) return null
    const attrs = new Map()
    for (const [name, value] of attrList) {
      const lower = name.toLowerCase()
      if (!attrs.has(lower)) attrs.set(lower, { name, values: [] })
      const sid = lower === 'objectsid' && sidToBinary(value.toString())
      attrs.get(lower).values.push(sid || value)
    }
    const e = { dn, norm, parent: parentNorm(norm), nc: this.ncOf(norm), attrs }
    e.pgt = primaryGroupToken(e)
    attrs.delete('primarygrouptoken')
    if (!attrs.has('distinguishedname')) {
      attrs.set('distinguishedname',
        { name: 'distinguishedName', values: [dn] })
    }
    if (!attrs.has('objectcategory')) this.setCategory(e)
    this.entries.set(norm, e)
    this.order.push(e)
    return e
  }

  /** The referenced naming context a canonical DN lies in, or null. */
  ncOf (norm) {
    let best = null
    for (const r of this.refs) {
      if (r.norm && r.norm !== this.baseNorm && under(norm, r.norm) &&
          (!best || r.norm.length > best.length)) best = r.norm
    }
    return best
  }

  setCategory (e) {
    const classes = new Set(values(e, 'objectclass')
      .map(v => v.toString().toLowerCase()))
    const hit = CATEGORIES.find(([cls]) => classes.has(cls))
    if (!hit) return
    const schema = `CN=Schema,CN=Configuration,${this.base}`
    e.attrs.set('objectcategory', {
      name: 'objectCategory', values: [`CN=${hit[1]},${schema}`]
    })
  }

  /** memberOf: the groups whose member names the entry. */
  linkMemberOf () {
    for (const g of this.order) {
      for (const v of values(g, 'member')) {
        const m = this.entries.get(normDn(v.toString()))
        if (!m) continue
        if (!m.attrs.has('memberof')) {
          m.attrs.set('memberof', { name: 'memberOf', values: [] })
        }
        m.attrs.get('memberof').values.push(g.dn)
      }
    }
  }

  get (norm) {
    return this.entries.get(norm)
  }
}

function values (e, lower) {
  const a = e.attrs.get(lower)
  return a ? a.values : []
}

/** A group's primaryGroupToken: its LDIF line, else its objectSid's RID. */
function primaryGroupToken (e) {
  const given = values(e, 'primarygrouptoken')[0]
  if (given) return given.toString()
  const sid = values(e, 'objectsid')[0]
  const text = sid && sidToText(sid)
  return text ? text.slice(text.lastIndexOf('-') + 1) : null
}

function isGroup (e) {
  return values(e, 'objectclass')
    .some(v => v.toString().toLowerCase() === 'group')
}

// ---- filters ----------------------------------------------------------

/** Lower-cased text of an attribute's values, kept with the attribute. */
function texts (e, lower) {
  const a = e.attrs.get(lower)
  if (!a) return []
  if (!a.texts) a.texts = a.values.map(v => v.toString('utf8').toLowerCase())
  return a.texts
}

function norms (e, lower) {
  const a = e.attrs.get(lower)
  if (!a) return []
  if (!a.norms) a.norms = a.values.map(v => normDn(v.toString('utf8')))
  return a.norms
}

const INTEGER = /^-?[0-9]+$/

function compareValues (a, b) {
  if (INTEGER.test(a) && INTEGER.test(b)) {
    const x = BigInt(a)
    const y = BigInt(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
  return a < b ? -1 : a > b ? 1 : 0
}

function equal (e, attr, value) {
  const lower = attr.toLowerCase()
  const want = String(value)
  if (lower === 'objectsid') {
    return values(e, lower).some(v => (sidToText(v) || '').toLowerCase() ===
      want.toLowerCase())
  }
  if (lower === 'objectcategory' && !want.includes('=')) {
    // AD takes a class name here: (objectCategory=person).
    return norms(e, lower).some(n => (dnParts(n)[0] || [])[1] ===
      want.toLowerCase())
  }
  if (DN_ATTRS.has(lower)) return norms(e, lower).includes(normDn(want))
  return texts(e, lower).some(t => compareValues(t, want.toLowerCase()) === 0)
}

function substrings (e, attr, f) {
  const initial = (f.initial || '').toLowerCase()
  const final = (f.final || '').toLowerCase()
  const any = (f.any || []).map(s => s.toLowerCase())
  return texts(e, attr.toLowerCase()).some(t => {
    if (!t.startsWith(initial)) return false
    let pos = initial.length
    for (const s of any) {
      const at = t.indexOf(s, pos)
      if (at < 0) return false
      pos = at + s.length
    }
    return t.length - final.length >= pos && t.endsWith(final)
  })
}

function ordered (e, attr, value, ok) {
  const want = String(value).toLowerCase()
  return texts(e, attr.toLowerCase()).some(t => ok(compareValues(t, want)))
}

function present (e, attr) {
  const lower = attr.toLowerCase()
  return lower === 'objectclass' || values(e, lower).length > 0
}

/** The value as a 64-bit pattern: AD's groupType is a signed 32-bit one. */
function bits (text) {
  return INTEGER.test(text) ? BigInt.asUintN(64, BigInt(text)) : null
}

/**
 * LDAP_MATCHING_RULE_IN_CHAIN: does following attr from e (member, or the
 * back link memberOf) reach the DN target?  Each entry is visited once.
 */
function inChain (dir, e, lower, target) {
  const seen = new Set([e.norm])
  const todo = [e]
  while (todo.length) {
    for (const n of norms(todo.pop(), lower)) {
      if (n === target) return true
      const next = dir.get(n)
      if (next && !seen.has(n)) {
        seen.add(n)
        todo.push(next)
      }
    }
  }
  return false
}

function extensible (dir, e, f) {
  const attr = (f.matchType || '').toLowerCase()
  const value = String(f.matchValue)
  switch (f.matchingRule) {
    case OID.BIT_AND:
    case OID.BIT_OR: {
      const mask = bits(value)
      if (mask === null) return false
      return texts(e, attr).some(t => {
        const v = bits(t)
        if (v === null) return false
        return f.matchingRule === OID.BIT_AND ? (v & mask) === mask
          : (v & mask) !== 0n
      })
    }
    case OID.IN_CHAIN:
      return attr !== '' && inChain(dir, e, attr, normDn(value))
    case undefined:
    case '':
      return attr !== '' && equal(e, attr, value)
    default:
      return false // a rule AD does not have: Undefined
  }
}

function matches (dir, e, f) {
  switch (f.type) {
    case 'AndFilter':
      return f.filters.every(g => matches(dir, e, g))
    case 'OrFilter':
      return f.filters.some(g => matches(dir, e, g))
    case 'NotFilter':
      return !matches(dir, e, f.filter)
    case 'PresenceFilter':
      return present(e, f.attribute)
    case 'EqualityFilter':
    case 'ApproximateFilter':
      return equal(e, f.attribute, f.value)
    case 'SubstringFilter':
      return substrings(e, f.attribute, f)
    case 'GreaterThanEqualsFilter':
      return ordered(e, f.attribute, f.value, c => c >= 0)
    case 'LessThanEqualsFilter':
      return ordered(e, f.attribute, f.value, c => c <= 0)
    case 'ExtensibleFilter':
      return extensible(dir, e, f)
    default:
      return false
  }
}

// ---- attribute selection and ranged retrieval ------------------------

/**
 * The attribute list of a search: all (no list or "*") and the names
 * asked for, each {lower, range: null | {low, high (null for "*")}}.
 */
function selection (attributes) {
  const sel = { all: attributes.length === 0, wanted: [] }
  for (const a of attributes) {
    if (a === '*') {
      sel.all = true
      continue
    }
    if (a === '1.1' || a === '+' || a === '') continue
    const [name, ...options] = a.split(';')
    let range = null
    for (const o of options) {
      const m = /^range=([0-9]+)-([0-9]+|\*)$/i.exec(o)
      if (m) {
        range = { low: Number(m[1]), high: m[2] === '*' ? null : Number(m[2]) }
      }
    }
    sel.wanted.push({ lower: name.toLowerCase(), range })
  }
  return sel
}

/**
 * One attribute as the DC sends it, MaxValRange and the fault injection
 * applied: {type, values}, or null to leave it out.
 */
function ranged (ctx, e, lower, a, range) {
  const { cfg } = ctx
  const n = a.values.length
  const max = cfg.maxValRange
  if (!range) {
    if (n <= max) return { type: a.name, values: a.values }
    return {
      type: `${a.name};range=0-${max - 1}`, values: a.values.slice(0, max)
    }
  }
  const { low, high } = range
  if (high !== null && high < low) {
    throw new Fault(RC.OPERATIONS_ERROR, `${a.name};range=${low}-${high}: ` +
      'the range ends before it starts')
  }
  if (low > 0 && cfg.breakRange.has(e.norm)) return null
  if (low > 0 && cfg.breakRangeError.has(e.norm)) {
    throw new Fault(cfg.breakRangeCode, `adserver: --break-range-error ${e.dn}`)
  }
  if (low >= n) {
    if (LINK_ATTRS.has(lower) && !ctx.rangeNoErr) {
      throw new Fault(RC.OPERATIONS_ERROR, `${a.name};range=${low}-*: ` +
        `the attribute has ${n} values`)
    }
    return null
  }
  let end = Math.min(n - 1, low + max - 1)
  if (high !== null) end = Math.min(end, high)
  const tail = end === n - 1 ? '*' : String(end)
  return {
    type: `${a.name};range=${low}-${tail}`,
    values: a.values.slice(low, end + 1)
  }
}

/** The attributes of one entry in a search's answer. */
function entryAttributes (ctx, e, sel) {
  const out = []
  const done = new Set()
  for (const w of sel.wanted) {
    if (done.has(w.lower)) continue
    done.add(w.lower)
    if (w.lower === 'primarygrouptoken') {
      // Constructed: only when asked for by name, in a base search.
      if (ctx.scope === SCOPE.BASE && e.pgt !== null && isGroup(e)) {
        out.push({ type: 'primaryGroupToken', values: [e.pgt] })
      }
      continue
    }
    const a = e.attrs.get(w.lower)
    const r = a && ranged(ctx, e, w.lower, a, w.range)
    if (r) out.push(r)
  }
  if (sel.all) {
    for (const [lower, a] of e.attrs) {
      if (!done.has(lower)) out.push(ranged(ctx, e, lower, a, null))
    }
  }
  return out
}

function searchEntry (ctx, e, attrs) {
  return new ldap.SearchEntry({
    messageId: ctx.messageId,
    objectName: new RawDn(e.dn),
    attributes: attrs.map(a => new ldap.Attribute({
      type: a.type, values: ctx.typesOnly ? [] : a.values
    }))
  })
}

// ---- the rootDSE ------------------------------------------------------

function rootDse (cfg) {
  const b = cfg.base
  const dns = dnsName(b)
  const config = `CN=Configuration,${b}`
  const attrs = [
    ['configurationNamingContext', [config]],
    ['defaultNamingContext', [b]],
    ['dnsHostName', [`dc1.${dns}`]],
    ['domainControllerFunctionality', ['7']],
    ['domainFunctionality', ['7']],
    ['forestFunctionality', ['7']],
    ['isGlobalCatalogReady', ['FALSE']],
    ['isSynchronized', ['TRUE']],
    ['ldapServiceName', [`${dns}:dc1$@${dns.toUpperCase()}`]],
    ['namingContexts', [b, config, `CN=Schema,${config}`,
      `DC=DomainDnsZones,${b}`, `DC=ForestDnsZones,${b}`]],
    ['rootDomainNamingContext', [b]],
    ['schemaNamingContext', [`CN=Schema,${config}`]],
    ['serverName',
      [`CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,${config}`]],
    ['subschemaSubentry', [`CN=Aggregate,CN=Schema,${config}`]],
    ['supportedCapabilities', [OID.AD_CAPABILITY, '1.2.840.113556.1.4.1670',
      '1.2.840.113556.1.4.1791', '1.2.840.113556.1.4.1935',
      '1.2.840.113556.1.4.2080', '1.2.840.113556.1.4.2237']],
    ['supportedControl', SUPPORTED_CONTROLS],
    ['supportedLDAPVersion', ['3']]
  ]
  return {
    dn: '',
    norm: '',
    attrs: new Map(attrs.map(([name, vals]) =>
      [name.toLowerCase(), { name, values: vals }]))
  }
}

// ---- search -----------------------------------------------------------

/** The controls of a request, checked: unknown critical ones fail it. */
function readControls (req) {
  const found = {}
  for (const c of req.controls) {
    if (SUPPORTED_CONTROLS.includes(c.type)) {
      found[c.type] = c
    } else if (c.criticality) {
      throw new Fault(RC.UNAVAILABLE_CRITICAL_EXTENSION,
        `critical control ${c.type} is not supported`)
    }
  }
  return found
}

/** The continuation references a search at baseNorm sends. */
function references (ctx, baseNorm) {
  if (ctx.cfg.noReferences || ctx.domainScope || ctx.scope === SCOPE.BASE) {
    return []
  }
  return ctx.cfg.refs.filter(r => {
    if (!r.norm) return baseNorm === ctx.dir.baseNorm
    if (ctx.scope === SCOPE.ONE) return parentNorm(r.norm) === baseNorm
    return r.norm !== baseNorm && under(r.norm, baseNorm)
  }).map(r => r.url)
}

/** A base the LDIF does not have: a referral or noSuchObject. */
function missingBase (ctx, baseDn, baseNorm) {
  const { dir } = ctx
  if (!ctx.domainScope) {
    const ref = ctx.cfg.refs.find(r => r.norm && under(baseNorm, r.norm))
    const host = ref ? ref.host
      : !under(baseNorm, dir.baseNorm) && dnsName(baseDn)
    if (host) {
      throw new Fault(RC.REFERRAL, '0000202B: RefErr: DSID-0310082F, data 0, ' +
        `1 access points\n\tref 1: '${host}'\n`, [`ldap://${host}/${baseDn}`])
    }
  }
  let best = baseNorm
  while (best !== '' && !dir.get(best)) best = parentNorm(best)
  const matched = best === '' ? '' : dir.get(best).dn
  const fault = new Fault(RC.NO_SUCH_OBJECT, '0000208D: NameErr: ' +
    'DSID-03100241, problem 2001 (NO_OBJECT), data 0, best match of:\n' +
    `\t'${matched}'\n`)
  fault.matchedDN = matched
  throw fault
}

/** The entries a search matches, in LDIF order. */
function candidates (ctx, base) {
  const f = ctx.filter
  if (ctx.scope === SCOPE.BASE) return matches(ctx.dir, base, f) ? [base] : []
  return ctx.dir.order.filter(e => e.nc === base.nc &&
    (ctx.scope === SCOPE.ONE ? e.parent === base.norm
      : under(e.norm, base.norm)) &&
    matches(ctx.dir, e, f))
}

/** The paged results cookie: the search it belongs to, offset, page. */
function searchSignature (req) {
  return crypto.createHash('sha256').update(JSON.stringify([
    normDn(req.baseObject.toString()), req.scope, req.filter.toString(),
    req.attributes.map(a => a.toLowerCase())])).digest('hex').slice(0, 16)
}

function readCookie (req, cookie) {
  if (cookie.length === 0) return { offset: 0, page: 0 }
  const m = /^([0-9a-f]{16}):([0-9]+):([0-9]+)$/.exec(cookie.toString())
  if (!m || m[1] !== searchSignature(req)) {
    throw new Fault(RC.UNWILLING_TO_PERFORM,
      'the paged results cookie does not belong to this search')
  }
  return { offset: Number(m[2]), page: Number(m[3]) }
}

/**
 * Which of the matched entries go into this answer: {from, to, code,
 * cookie (null: no paged control; '': the last page), done (the search
 * ran to its end)}.
 */
function pageWindow (ctx, req, total) {
  const { cfg } = ctx
  const limit = req.sizeLimit > 0 ? req.sizeLimit : Infinity
  if (!ctx.paged) {
    const to = Math.min(total, limit, cfg.maxPageSize)
    const done = to === total
    const code = done ? RC.SUCCESS : RC.SIZE_LIMIT_EXCEEDED
    return { from: 0, to, code, cookie: null, done }
  }
  const { size, cookie } = ctx.paged.value
  const { offset, page } = readCookie(req, cookie)
  if (size === 0) {
    // RFC 2696: a size of 0 abandons the paged search.
    return { from: 0, to: 0, code: RC.SUCCESS, cookie: '', done: false }
  }
  if (cfg.failAfterPages !== null && page >= cfg.failAfterPages) {
    throw new Fault(RC.BUSY,
      `adserver: --fail-after-pages ${cfg.failAfterPages}`)
  }
  const to = Math.min(total, offset + Math.min(size, cfg.maxPageSize))
  if (to > limit) {
    const code = RC.SIZE_LIMIT_EXCEEDED
    return { from: offset, to: limit, code, cookie: '', done: false }
  }
  const next = to < total ? `${searchSignature(req)}:${to}:${page + 1}` : ''
  return { from: offset, to, code: RC.SUCCESS, cookie: next, done: next === '' }
}

function search (state, req, res) {
  const conn = req.connection
  const ctx = {
    cfg: state.cfg,
    dir: state.dir,
    messageId: req.messageId,
    scope: req.scope,
    filter: req.filter,
    typesOnly: req.typesOnly
  }
  const controls = readControls(req)
  ctx.paged = controls[OID.PAGED]
  ctx.domainScope = Boolean(controls[OID.DOMAIN_SCOPE])
  ctx.rangeNoErr = Boolean(controls[OID.RANGE_NOERR])
  const sel = selection(req.attributes)
  const baseDn = req.baseObject.toString()

  if (baseDn === '' && ctx.scope === SCOPE.BASE) {
    const dse = state.rootDse
    if (!matches(ctx.dir, dse, ctx.filter)) return { entries: 0, refs: 0 }
    // "+" asks for the operational attributes: all of the rootDSE's.
    const all = sel.all || req.attributes.includes('+')
    const attrs = [...dse.attrs].filter(([lower]) => all ||
      sel.wanted.some(w => w.lower === lower)).map(([, a]) =>
      ({ type: a.name, values: a.values }))
    res.send(searchEntry(ctx, dse, attrs))
    res.end(RC.SUCCESS)
    return { entries: 1, refs: 0 }
  }
  if (!conn.adBound && !ctx.cfg.allowAnonymous) {
    throw new Fault(RC.OPERATIONS_ERROR, MSG_NO_BIND)
  }
  if (!dnParts(baseDn)) {
    throw new Fault(RC.INVALID_DN_SYNTAX, `invalid DN: '${baseDn}'`)
  }
  const baseNorm = normDn(baseDn)
  const base = baseNorm === '' ? null : ctx.dir.get(baseNorm)
  if (!base) missingBase(ctx, baseDn, baseNorm)

  const found = candidates(ctx, base)
  const w = pageWindow(ctx, req, found.length)
  // Build the whole answer first: a ranged retrieval fault fails the
  // search before any entry is sent.
  const entries = found.slice(w.from, w.to)
    .map(e => searchEntry(ctx, e, entryAttributes(ctx, e, sel)))
  const refs = w.done ? references(ctx, baseNorm) : []
  for (const entry of entries) res.send(entry)
  for (const url of refs) res.send(res.createSearchReference([url]))
  if (w.cookie !== null) {
    res.addControl(new ldap.PagedResultsControl({
      value: { size: 0, cookie: Buffer.from(w.cookie) }
    }))
  }
  res.end(w.code)
  return { entries: entries.length, refs: refs.length }
}

// ---- the other operations ---------------------------------------------

function bind (state, req, res) {
  const conn = req.connection
  const { cfg } = state
  const name = String(req.name)
  const password = String(req.credentials)
  conn.adBound = false
  if (name === '' || password === '') {
    // Anonymous (an empty password too: AD's unauthenticated bind).
    res.end(RC.SUCCESS)
    return { dn: name }
  }
  if (cfg.bindDn === undefined || normDn(name) !== normDn(cfg.bindDn) ||
      password !== cfg.bindPassword) {
    throw new Fault(RC.INVALID_CREDENTIALS, MSG_BAD_CREDENTIALS)
  }
  conn.adBound = true
  res.end(RC.SUCCESS)
  return { dn: name }
}

function readOnly (state, req, res) {
  throw new Fault(RC.UNWILLING_TO_PERFORM,
    '00000057: adserver: this test directory is read-only')
}

function extendedOp (state, req, res) {
  throw new Fault(RC.PROTOCOL_ERROR,
    `extended operation ${req.requestName} is not supported`)
}

function unbind (state, req, res) {
  res.end() // closes the connection
  return {}
}

const OPS = {
  [ldap.operations.LDAP_REQ_BIND]: ['bind', bind],
  [ldap.operations.LDAP_REQ_SEARCH]: ['search', search],
  [ldap.operations.LDAP_REQ_UNBIND]: ['unbind', unbind],
  [ldap.operations.LDAP_REQ_ABANDON]: ['abandon', () => ({})],
  [ldap.operations.LDAP_REQ_ADD]: ['add', readOnly],
  [ldap.operations.LDAP_REQ_MODIFY]: ['modify', readOnly],
  [ldap.operations.LDAP_REQ_DELETE]: ['delete', readOnly],
  [ldap.operations.LDAP_REQ_MODRDN]: ['modrdn', readOnly],
  [ldap.operations.LDAP_REQ_COMPARE]: ['compare', readOnly],
  [ldap.operations.LDAP_REQ_EXTENSION]: ['extended', extendedOp]
}

// ---- logging and dispatch ---------------------------------------------

function describeControls (req) {
  return req.controls.map(c => {
    let text = c.type + (c.criticality ? '!' : '')
    if (c.type === OID.PAGED) {
      text += `(size=${c.value.size},cookie=${c.value.cookie.length})`
    }
    return text
  }).join(' ')
}

function logLine (state, op, req, res, extra) {
  const q = JSON.stringify
  let line = `${op} conn=${req.connection.adId} msg=${req.messageId}`
  if (op === 'search') {
    line += ` base=${q(req.baseObject.toString())}` +
      ` scope=${SCOPE_NAMES[req.scope]}` +
      ` filter=${q(req.filter.toString())}` +
      ` attrs=${q(req.attributes.join(','))}` +
      ` controls=${q(describeControls(req))}`
  } else if (op !== 'unbind' && op !== 'abandon') {
    line += ` dn=${q(String(req.dn === undefined ? '' : req.dn))}`
  }
  if (op !== 'unbind' && op !== 'abandon') line += ` result=${res.status}`
  if (extra.entries !== undefined) {
    line += ` entries=${extra.entries} refs=${extra.refs}`
  }
  state.log(line)
}

/** Runs one request's handler; a Fault becomes the error result. */
function dispatch (state, req, res) {
  const conn = req.connection
  if (conn.adId === undefined) conn.adId = ++state.connections
  const [op, handler] = OPS[req.protocolOp] || ['unknown', readOnly]
  let extra = {}
  try {
    extra = handler(state, req, res) || {}
  } catch (err) {
    if (!(err instanceof Fault)) {
      state.log(`error conn=${conn.adId} msg=${req.messageId}: ${err.stack}`)
      err = new Fault(RC.OPERATIONS_ERROR, `adserver: ${err.message}`)
    }
    res.diagnosticMessage = err.message
    if (err.matchedDN !== undefined) res.matchedDN = err.matchedDN
    for (const url of err.referrals) res.addReferral(url)
    res.end(err.code)
  }
  logLine(state, op, req, res, extra)
}

/**
 * What ldapjs 3.0.7 does not do as we need it:
 * - SearchRequest.parseToPojo turns the filter it parsed into a string
 *   that SearchRequest parses again, which garbles values with "\"
 *   (CN=Smith\2C John becomes CN=Smith, John), and parses the base into a
 *   DN object that changes it when printed.  Keep both as the client sent
 *   them.
 * - Its server routes requests by DN, answers anonymous binds itself and
 *   throws on a bind name that is no DN.  Every request comes to
 *   dispatch() instead.
 */
function patchLdapjs (server, state) {
  const filters = ldap.filters
  const parseBer = filters.parseBer
  let lastFilter = null
  filters.parseBer = reader => {
    lastFilter = parseBer(reader)
    return lastFilter
  }
  const parseToPojo = ldap.SearchRequest.parseToPojo
  ldap.SearchRequest.parseToPojo = function (ber) {
    lastFilter = null
    const pojo = parseToPojo.call(this, ber)
    if (lastFilter) pojo.filter = lastFilter
    pojo.baseObject = new RawDn(pojo.baseObject)
    return pojo
  }
  server._getHandlerChain = () => ({
    backend: server,
    handlers: [(req, res) => dispatch(state, req, res)]
  })
}

// ---- start ------------------------------------------------------------

function openLog (file) {
  if (!file) return line => process.stderr.write(line + '\n')
  const fd = fs.openSync(file, 'a')
  return line => fs.writeSync(fd, line + '\n')
}

/** The continuation references: AD's three and the --reference ones. */
function referenceList (cfg) {
  const urls = []
  if (!cfg.noReferences) {
    for (const dn of [`DC=ForestDnsZones,${cfg.base}`,
      `DC=DomainDnsZones,${cfg.base}`, `CN=Configuration,${cfg.base}`]) {
      urls.push(`ldap://${dnsName(dn)}/${dn}`)
    }
  }
  urls.push(...cfg.references)
  return urls.map(url => {
    const m = /^ldaps?:\/\/([^/?]*)(?:\/([^?]*))?/i.exec(url)
    if (!m) usage(`not an LDAP URL: '${url}'`)
    const dn = decodeURIComponent(m[2] || '')
    if (dn !== '' && !dnParts(dn)) usage(`not a DN in '${url}'`)
    return { url, host: m[1], norm: dn === '' ? null : normDn(dn) }
  })
}

function main () {
  const cfg = readOptions(process.argv.slice(2))
  cfg.refs = referenceList(cfg)
  const log = openLog(cfg.log)
  let dir
  try {
    const text = fs.readFileSync(cfg.ldif, 'utf8')
    dir = new Directory(readLdif(text, cfg.ldif), cfg, cfg.ldif)
  } catch (err) {
    process.stderr.write(`adserver.js: ${err.message}\n`)
    process.exit(1)
  }
  const state = { cfg, dir, log, rootDse: rootDse(cfg), connections: 0 }
  const options = {}
  if (cfg.tlsCert) {
    options.certificate = fs.readFileSync(cfg.tlsCert)
    options.key = fs.readFileSync(cfg.tlsKey)
  }
  const server = ldap.createServer(options)
  patchLdapjs(server, state)
  server.on('error', err => log(`error: ${err.message}`))
  server.on('clientError', err => log(`client error: ${err.message}`))
  server.listen(cfg.port, cfg.host, () => {
    const port = server.address().port
    if (cfg.portFile) {
      fs.writeFileSync(cfg.portFile + '.tmp', `${port}\n`)
      fs.renameSync(cfg.portFile + '.tmp', cfg.portFile)
    }
    log(`listening ${cfg.tlsCert ? 'ldaps' : 'ldap'}://${cfg.host}:${port}/ ` +
      `entries=${dir.order.length} max-val-range=${cfg.maxValRange} ` +
      `max-page-size=${cfg.maxPageSize}`)
  })
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(sig, () => process.exit(0))
  }
}

main()
