/* dn.h - distinguished name normalisation */
#ifndef LICSYNC_DN_H
#define LICSYNC_DN_H

/*
 * Normalise an LDAPv3 DN so that two spellings of the same name compare
 * equal with strcmp: attribute types and values folded to lower case
 * (naming attributes in real directories are case-insensitive), spaces
 * around separators dropped, escapes rewritten canonically, multi-valued
 * RDNs sorted.  Returns a malloc'd string, or NULL when DN is not a DN.
 */
char *dn_normalize(const char *dn);

/* Strip the optional "#'0101'B" unique id of a uniqueMember value (RFC 4517
 * NameAndOptionalUID); returns a malloc'd copy. */
char *dn_strip_uid(const char *value);

#endif
