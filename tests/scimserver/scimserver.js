#!/usr/bin/env node
// tests/scimserver/scimserver.js - a SCIM 2.0 service provider (RFC 7643,
// RFC 7644) with users and groups in memory, for licsync's tests of its
// SCIM backend: bearer tokens, filters, paging, PATCH of members and of
// active, and the faults vendors' SCIM APIs have (throttling, outages,
// capped pages, lists that lag behind).
//
// Usage:
//   node scimserver.js --token-file FILE [options]
//
//   --token-file FILE         the bearer token: the file's first line, read
//                             again on every request (so a test can change
//                             it); required
//   --seed FILE               the users and groups to start with (below;
//                             default none)
//   --host ADDR --port N      where to listen (default 127.0.0.1, port 0:
//                             any free port)
//   --port-file FILE          written (atomically) with the port once the
//                             server listens
//   --tls-cert PEM --tls-key PEM   serve https:// instead of http://
//   --log FILE                the request log (default: stderr)
//   --throttle P              answer this fraction (0..1) of the SCIM
//                             requests 429 Too Many Requests
//   --unavailable P           ... and this fraction 503 Service Unavailable
//                             (P and the throttle's add up to at most 1)
//   --retry-after S           the Retry-After of those answers, in seconds
//                             (default 1)
//   --random-seed N           seeds the generator that picks the faulted
//                             requests (default 1: runs repeat)
//   --fault-writes-only       fault only POST, PUT, PATCH and DELETE (not
//                             a POST to .search)
//   --max-count N             a list answers at most N resources, whatever
//                             count asks for (the ServiceProviderConfig's
//                             filter.maxResults says N)
//   --refuse-user USERNAME    a write that names this user (its path, its
//                             userName, or its id anywhere in the body, as
//                             a group PATCH does) answers 400, scimType
//                             invalidValue, and changes nothing: a vendor
//                             that will not take one user (repeatable)
//   --hide-from-list USERNAME a list without a filter leaves this user out
//                             (and out of its totalResults; repeatable),
//                             like a vendor's list that lags behind its
//                             writes: the user still exists, a filter
//                             finds it, GET by id reads it and creating it
//                             again gets 409
//
// Seed file (JSON; also the body of PUT /_test/state):
//   {"users": [{"userName", "active" (default true), "externalId",
//               "name": {"givenName", "familyName", ...}, "displayName",
//               "emails": [{"value", "type", "primary"}], "id" (default
//               a new UUID), and any other attribute of the User schema}],
//    "groups": [{"displayName", "externalId", "id" (default a new UUID),
//                "members": [userName, ...]}]}
//   Each user must be valid for scimmy's User schema; userNames and group
//   displayNames must be unique (ignoring case) and members must name
//   users of the file (ignoring case).  A null value counts as absent;
//   other top-level keys are ignored, so GET /_test/state's answer goes
//   back as it is.
//
// What it does:
// - The SCIM API lives under /scim/v2: /Users and /Groups (GET, POST, PUT,
//   PATCH, DELETE, POST .search), /ServiceProviderConfig, /ResourceTypes,
//   /Schemas, as scimmy-routers answers them; /Bulk is turned off and /Me
//   has no user (both 501).  Resources' meta.location is absolute
//   (http://127.0.0.1:PORT/scim/v2/Users/ID).
// - Every request under /scim/v2 needs "Authorization: Bearer TOKEN";
//   without it, or with another token: 401 with a SCIM Error body and
//   "WWW-Authenticate: Bearer".
// - Ids are new UUIDs.  A userName, and a group's displayName, is unique
//   ignoring case: creating (or renaming to) one that exists answers 409,
//   scimType uniqueness.  A user created or replaced without active is
//   active.  Deleting a user takes it out of its groups.  A user's groups
//   attribute lists the groups it is a direct member of.
// - Group members must be users of this server: a member value that is no
//   user's id answers 400, scimType invalidValue, and changes nothing.
//   Members are kept in the order they were added, each once; their
//   display is the user's userName.
// - Filters are scimmy's (RFC 7644 3.4.2.2), except that userName (of
//   users) and displayName (of groups) compare ignoring case, as their
//   caseExact false says.  A filter that does not parse answers 400,
//   scimType invalidFilter.  sortBy and sortOrder work; attributes and
//   excludedAttributes (excludedAttributes=members) too.
// - Paging: startIndex (from 1) and count; without count a page holds
//   scimmy's default of 20.  totalResults is the number of resources that
//   match, itemsPerPage the number this page returns; a startIndex past
//   the end answers an empty page.
// - PATCH is scimmy's PatchOp: add/remove/replace with paths such as
//   members, members[value eq "ID"] and active.  A value of the wrong type
//   (active: "False") answers 400, scimType invalidValue.  A PATCH that
//   changes nothing answers 204.
// - The faults are drawn in front of the SCIM routes, before the token is
//   checked: a faulted request is not carried out.  It gets 429 or 503,
//   Retry-After: S and a SCIM Error body.  Each request the faults apply
//   to (all SCIM requests, or only the writes) draws one number from the
//   seeded generator.
// - Every SCIM request is logged on one line when it is answered:
//     METHOD URL STATUS [fault=CODE] [userName=U] [displayName=G]
//         [active=true|false] [add=N remove=N]
//   (on one line) where URL is the path and query as the client sent them
//   and values with blanks, quotes or backslashes are JSON strings, e.g.
//     POST /scim/v2/Users 201 userName=alice active=true
//     PATCH /scim/v2/Groups/0f8c...e2 200 displayName="App users" add=2
//         remove=0
//     GET /scim/v2/Users?startIndex=1&count=100 429 fault=429
//   Writes to /Users carry userName= (also when refused: the user the path
//   names, or the body's userName) and, when carried out, active=; writes
//   to /Groups carry displayName= and, when carried out, add= and
//   remove=: how many members the write added and took away.  Faulted
//   lines carry nothing more.  PUT and POST under /_test are logged as
//   "control METHOD PATH STATUS ...", the server's own messages start with
//   "listening " or "error".
//
// Test control (no token, never faulted, not counted nor logged as SCIM
// requests; answers are JSON):
//   GET  /_test/state    {"users": [{"id", "userName", "active",
//                        "externalId", "displayName", "name", "emails"}],
//                        "groups": [{"id", "displayName", "externalId",
//                        "members": [userName, ...]}], "writes": writes to
//                        /Users and /Groups answered 2xx, "requests": SCIM
//                        requests answered, "faults": of them faulted};
//                        unset attributes are null; in creation order
//   PUT  /_test/state    replace the users and groups with a seed
//                        document (400 when it is not valid, and nothing
//                        changes); the counters and the log carry on;
//                        answers the new state
//   GET  /_test/faults   the fault settings: {"throttle", "unavailable",
//                        "retry-after", "random-seed", "max-count" (null:
//                        none), "fault-writes-only", "hide-from-list"}
//   POST /_test/faults   change some of them (a JSON object with those
//                        keys; random-seed restarts the generator,
//                        hide-from-list replaces the list); answers them
//
// Runs on the express 4.22.3, scimmy 1.3.5 and scimmy-routers 1.3.2 that
// tests/scimserver/package-lock.json pins (see tests/scimserver.sh, which
// installs them and sets NODE_PATH).  Not express 5: scimmy-routers turns
// startIndex and count into numbers by assigning to req.query, which
// express 5 makes a getter, and scimmy ignores them as strings.  Paging
// works around scimmy's ListResponse (listPage(), fixPage()), so do not
// move the pins without rereading those.
'use strict'

const crypto = require('crypto')
const fs = require('fs')
const http = require('http')
const https = require('https')
const { parseArgs } = require('util')
const express = require('express')
const { SCIMMY, SCIMMYRouters } = require('scimmy-routers')

const BASE = '/scim/v2'
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// scimmy's page size when a request has no count.
const DEFAULT_COUNT = 20
// The fault settings POST /_test/faults knows, as the options name them.
const FAULT_KEYS = ['throttle', 'unavailable', 'retry-after', 'random-seed',
  'max-count', 'fault-writes-only', 'hide-from-list', 'refuse-user']

// ---- options ---------------------------------------------------------

function usage (message) {
  process.stderr.write(`scimserver.js: ${message}\n` +
    'usage: scimserver.js --token-file FILE [--seed FILE] ' +
    '[--port-file FILE] [--log FILE] [--throttle P] [--unavailable P] ' +
    '[--retry-after S] [--random-seed N] [--fault-writes-only] ' +
    '[--max-count N] [--hide-from-list USERNAME]... ' +
    '[--refuse-user USERNAME]... ' +
    '[--tls-cert PEM --tls-key PEM] [--host ADDR] [--port N]\n')
  process.exit(2)
}

/** A whole number of at least MIN, or null. */
function wholeNumber (value, min) {
  const text = String(value)
  if (!/^[0-9]+$/.test(text) || Number(text) < min) return null
  return Number(text)
}

/** A fraction 0..1, or null. */
function fraction (value) {
  const text = String(value)
  if (!/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(text)) return null
  const p = Number(text)
  return p >= 0 && p <= 1 ? p : null
}

function readOptions (argv) {
  const str = { type: 'string' }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'token-file': str,
        seed: str,
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        'port-file': str,
        'tls-cert': str,
        'tls-key': str,
        log: str,
        throttle: { type: 'string', default: '0' },
        unavailable: { type: 'string', default: '0' },
        'retry-after': { type: 'string', default: '1' },
        'random-seed': { type: 'string', default: '1' },
        'fault-writes-only': { type: 'boolean', default: false },
        'max-count': str,
        'hide-from-list': { type: 'string', multiple: true, default: [] },
        'refuse-user': { type: 'string', multiple: true, default: [] }
      }
    })
  } catch (err) {
    usage(err.message)
  }
  const o = parsed.values
  if (o['token-file'] === undefined) usage('--token-file is required')
  if (Boolean(o['tls-cert']) !== Boolean(o['tls-key'])) {
    usage('--tls-cert and --tls-key go together')
  }
  const port = wholeNumber(o.port, 0)
  if (port === null || port > 65535) usage(`--port: '${o.port}'`)
  const faults = {}
  for (const key of FAULT_KEYS) {
    if (o[key] === undefined) continue
    const err = setFault(faults, key, o[key])
    if (err) usage(`--${err}`)
  }
  if (faults['max-count'] === undefined) faults['max-count'] = null
  const err = faultsCheck(faults)
  if (err) usage(err)
  return {
    tokenFile: o['token-file'],
    seed: o.seed,
    host: o.host,
    port,
    portFile: o['port-file'],
    tlsCert: o['tls-cert'],
    tlsKey: o['tls-key'],
    log: o.log,
    faults
  }
}

/**
 * Sets fault setting KEY of FAULTS from VALUE (an option's text or a JSON
 * value); returns an error message, or null.
 */
function setFault (faults, key, value) {
  let v = null
  switch (key) {
    case 'throttle':
    case 'unavailable':
      v = fraction(value)
      if (v === null) return `${key} wants a fraction 0..1: '${value}'`
      break
    case 'retry-after':
    case 'random-seed':
      v = wholeNumber(value, 0)
      if (v === null) return `${key} wants a whole number: '${value}'`
      break
    case 'max-count':
      if (value !== null) {
        v = wholeNumber(value, 1)
        if (v === null) {
          return `${key} wants a whole number of at least 1 or null: '${value}'`
        }
      }
      break
    case 'fault-writes-only':
      if (typeof value !== 'boolean') return `${key} wants true or false`
      v = value
      break
    case 'hide-from-list':
    case 'refuse-user':
      if (!Array.isArray(value) || !value.every(u => typeof u === 'string')) {
        return `${key} wants a list of userNames`
      }
      v = [...value]
      break
    default:
      return `unknown fault setting '${key}'`
  }
  faults[key] = v
  return null
}

function faultsCheck (faults) {
  if (faults.throttle + faults.unavailable > 1) {
    return 'throttle and unavailable add up to more than 1'
  }
  return null
}

// ---- the store ----------------------------------------------------------

function lower (text) {
  return String(text).toLowerCase()
}

function now () {
  return new Date().toISOString()
}

/**
 * A user's or group's SCIM attributes as plain data, without nulls and
 * without the ones the server sets (schemas, id, meta, and DROP's).
 */
function attributesOf (input, drop) {
  const data = JSON.parse(JSON.stringify(input, (k, v) => v === null
    ? undefined : v))
  for (const key of ['schemas', 'id', 'meta', ...drop]) delete data[key]
  return data
}

/**
 * Users and groups.  A user is {id, data, created, lastModified}, data its
 * SCIM attributes; a group {id, data, members: [user id], created,
 * lastModified}, data without members.  Maps keep the creation order.
 */
class Store {
  constructor () {
    this.users = new Map()
    this.userNames = new Map() // lower-case userName -> user
    this.groups = new Map()
    this.groupNames = new Map() // lower-case displayName -> group
  }

  /** A store from a seed document; throws an Error naming what is wrong. */
  static fromSeed (doc) {
    const store = new Store()
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error('the seed is not a JSON object')
    }
    const list = (key) => {
      const v = doc[key]
      if (v === undefined || v === null) return []
      if (!Array.isArray(v)) throw new Error(`"${key}" is not a list`)
      return v
    }
    const ids = new Set()
    const takeId = (where, id) => {
      if (id === undefined || id === null) return crypto.randomUUID()
      if (typeof id !== 'string' || id === '') {
        throw new Error(`${where}: id is not a non-empty string`)
      }
      if (ids.has(id)) throw new Error(`${where}: id '${id}' is taken`)
      ids.add(id)
      return id
    }
    const stamp = now()
    list('users').forEach((u, i) => {
      const where = `users[${i}]`
      if (u === null || typeof u !== 'object' || Array.isArray(u)) {
        throw new Error(`${where} is not an object`)
      }
      let data
      try {
        data = attributesOf(new SCIMMY.Schemas.User(attributesOf(u, ['groups']),
          'in'), ['groups'])
      } catch (err) {
        throw new Error(`${where}: ${err.message}`)
      }
      if (data.active === undefined) data.active = true
      const key = lower(data.userName)
      if (store.userNames.has(key)) {
        throw new Error(`${where}: userName '${data.userName}' is taken`)
      }
      const user = {
        id: takeId(where, u.id), data, created: stamp, lastModified: stamp
      }
      store.users.set(user.id, user)
      store.userNames.set(key, user)
    })
    list('groups').forEach((g, i) => {
      const where = `groups[${i}]`
      if (g === null || typeof g !== 'object' || Array.isArray(g)) {
        throw new Error(`${where} is not an object`)
      }
      const names = g.members ?? []
      if (!Array.isArray(names)) {
        throw new Error(`${where}: members is not a list`)
      }
      const members = []
      for (const name of names) {
        const user = store.userNames.get(lower(name))
        if (typeof name !== 'string' || !user) {
          throw new Error(`${where}: member '${name}' is no user's userName`)
        }
        if (!members.includes(user.id)) members.push(user.id)
      }
      let data
      try {
        data = attributesOf(new SCIMMY.Schemas.Group(
          attributesOf(g, ['members']), 'in'), ['members'])
      } catch (err) {
        throw new Error(`${where}: ${err.message}`)
      }
      const key = lower(data.displayName)
      if (store.groupNames.has(key)) {
        throw new Error(`${where}: displayName '${data.displayName}' is taken`)
      }
      const group = {
        id: takeId(where, g.id),
        data,
        members,
        created: stamp,
        lastModified: stamp
      }
      store.groups.set(group.id, group)
      store.groupNames.set(key, group)
    })
    return store
  }

  /** The groups each user is a direct member of: user id -> [group]. */
  memberships () {
    const of = new Map()
    for (const group of this.groups.values()) {
      for (const id of group.members) {
        if (!of.has(id)) of.set(id, [])
        of.get(id).push(group)
      }
    }
    return of
  }

  /** A user as the egress handler returns it. */
  userOut (user, memberships = this.memberships()) {
    const groups = (memberships.get(user.id) || []).map(g => ({
      value: g.id, display: g.data.displayName, type: 'direct'
    }))
    return {
      ...user.data,
      id: user.id,
      ...(groups.length ? { groups } : {}),
      meta: { created: user.created, lastModified: user.lastModified }
    }
  }

  groupOut (group) {
    return {
      ...group.data,
      id: group.id,
      members: group.members.map(id => ({
        value: id, display: this.users.get(id).data.userName, type: 'User'
      })),
      meta: { created: group.created, lastModified: group.lastModified }
    }
  }

  /** GET /_test/state's users and groups. */
  summary () {
    const opt = v => (v === undefined ? null : v)
    return {
      users: [...this.users.values()].map(u => ({
        id: u.id,
        userName: u.data.userName,
        active: u.data.active,
        externalId: opt(u.data.externalId),
        displayName: opt(u.data.displayName),
        name: opt(u.data.name),
        emails: opt(u.data.emails)
      })),
      groups: [...this.groups.values()].map(g => ({
        id: g.id,
        displayName: g.data.displayName,
        externalId: opt(g.data.externalId),
        members: g.members.map(id => this.users.get(id).data.userName)
      }))
    }
  }
}

// ---- filters and paging ---------------------------------------------------

/**
 * The resources of LIST (as egress returns them) that scimmy's FILTER
 * matches, comparing attribute NAME ignoring case: both the filter's
 * values for it and the resources' are lower-cased for the match.
 */
function matchFolded (filter, list, name) {
  const fold = expr => {
    if (Array.isArray(expr[0])) return expr.map(fold)
    const last = expr[expr.length - 1]
    return typeof last === 'string' && expr.length > 1
      ? [...expr.slice(0, -1), last.toLowerCase()] : expr
  }
  let folded
  try {
    folded = new SCIMMY.Types.Filter(filter.map(e => Object.fromEntries(
      Object.entries(e).map(([k, v]) =>
        [k, lower(k) === lower(name) && Array.isArray(v) ? fold(v) : v]))))
  } catch (err) {
    // What scimmy's parser lets through (userName eq, without a value).
    throw scimError(400, 'invalidFilter', err.message)
  }
  const back = new Map()
  const views = list.map(r => {
    const view = typeof r[name] === 'string'
      ? { ...r, [name]: lower(r[name]) } : r
    back.set(view, r)
    return view
  })
  return folded.match(views).map(v => back.get(v))
}

/**
 * What an egress handler returns for a list, so that scimmy's
 * ListResponse pages it right.  ListResponse slices the list from
 * startIndex and cuts it to count (after sorting it), but returns the
 * first page when startIndex is past the end: then it gets a list of
 * that length with nothing in it, which makes an empty page with the
 * right totalResults.  --max-count lowers the resource's count (scimmy
 * reads its constraints after the egress handler).
 */
function listPage (state, resource, list) {
  const max = state.faults['max-count']
  if (max !== null) {
    resource.constraints = resource.constraints || {}
    resource.constraints.count = Math.min(resource.constraints.count ??
      DEFAULT_COUNT, max)
  }
  const start = resource.constraints?.startIndex ?? 1
  return start > list.length ? new Array(list.length) : list
}

/**
 * itemsPerPage is what the page holds (RFC 7644 3.4.2), not the count
 * asked for as in scimmy's ListResponse.
 */
function fixPage (req, res, next) {
  const send = res.send
  res.send = function (body) {
    if (body instanceof SCIMMY.Messages.ListResponse) {
      body.itemsPerPage = body.Resources.length
    }
    return send.call(this, body)
  }
  next()
}

// ---- the resource handlers --------------------------------------------

function scimError (status, scimType, detail) {
  return new SCIMMY.Types.Error(status, scimType, detail)
}

function notFound (id) {
  return scimError(404, null, `Resource ${id} not found`)
}

function declareUsers (state) {
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress((resource) => {
      const store = state.store
      const memberships = store.memberships()
      if (resource.id) {
        const user = store.users.get(resource.id)
        if (!user) throw notFound(resource.id)
        return store.userOut(user, memberships)
      }
      let list = [...store.users.values()]
      if (!resource.filter) {
        const hidden = new Set(state.faults['hide-from-list'].map(lower))
        list = list.filter(u => !hidden.has(lower(u.data.userName)))
      }
      list = list.map(u => store.userOut(u, memberships))
      if (resource.filter) list = matchFolded(resource.filter, list, 'userName')
      return listPage(state, resource, list)
    })
    .ingress((resource, instance, note) => {
      const store = state.store
      const data = attributesOf(instance, ['groups'])
      note.userName = data.userName
      if (data.active === undefined) data.active = true
      const key = lower(data.userName)
      const other = store.userNames.get(key)
      let user
      if (resource.id) {
        user = store.users.get(resource.id)
        if (!user) throw notFound(resource.id)
      }
      if (other && other !== user) {
        throw scimError(409, 'uniqueness',
          `userName '${data.userName}' is taken (by ${other.id})`)
      }
      const stamp = now()
      if (user) {
        store.userNames.delete(lower(user.data.userName))
        user.data = data
        user.lastModified = stamp
      } else {
        user = {
          id: crypto.randomUUID(), data, created: stamp, lastModified: stamp
        }
        store.users.set(user.id, user)
      }
      store.userNames.set(key, user)
      note.active = data.active
      return store.userOut(user)
    })
    .degress((resource, note) => {
      const store = state.store
      const user = store.users.get(resource.id)
      if (!user) throw notFound(resource.id)
      note.userName = user.data.userName
      const stamp = now()
      for (const group of store.groups.values()) {
        const i = group.members.indexOf(user.id)
        if (i >= 0) {
          group.members.splice(i, 1)
          group.lastModified = stamp
        }
      }
      store.users.delete(user.id)
      store.userNames.delete(lower(user.data.userName))
    })
}

function declareGroups (state) {
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .egress((resource) => {
      const store = state.store
      if (resource.id) {
        const group = store.groups.get(resource.id)
        if (!group) throw notFound(resource.id)
        return store.groupOut(group)
      }
      let list = [...store.groups.values()].map(g => store.groupOut(g))
      if (resource.filter) {
        list = matchFolded(resource.filter, list, 'displayName')
      }
      return listPage(state, resource, list)
    })
    .ingress((resource, instance, note) => {
      const store = state.store
      const data = attributesOf(instance, ['members'])
      note.displayName = data.displayName
      const members = []
      for (const m of instance.members || []) {
        if (!store.users.has(m.value)) {
          throw scimError(400, 'invalidValue',
            `members: '${m.value}' is no user's id`)
        }
        if (!members.includes(m.value)) members.push(m.value)
      }
      const key = lower(data.displayName)
      const other = store.groupNames.get(key)
      let group
      if (resource.id) {
        group = store.groups.get(resource.id)
        if (!group) throw notFound(resource.id)
      }
      if (other && other !== group) {
        throw scimError(409, 'uniqueness',
          `displayName '${data.displayName}' is taken (by ${other.id})`)
      }
      const before = new Set(group ? group.members : [])
      const after = new Set(members)
      note.add = members.filter(id => !before.has(id)).length
      note.remove = [...before].filter(id => !after.has(id)).length
      const stamp = now()
      if (group) {
        store.groupNames.delete(lower(group.data.displayName))
        Object.assign(group, { data, members, lastModified: stamp })
      } else {
        group = {
          id: crypto.randomUUID(),
          data,
          members,
          created: stamp,
          lastModified: stamp
        }
        store.groups.set(group.id, group)
      }
      store.groupNames.set(key, group)
      return store.groupOut(group)
    })
    .degress((resource, note) => {
      const store = state.store
      const group = store.groups.get(resource.id)
      if (!group) throw notFound(resource.id)
      note.displayName = group.data.displayName
      store.groups.delete(group.id)
      store.groupNames.delete(lower(group.data.displayName))
    })
}

// ---- faults, the token, the log -----------------------------------------

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function generator (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A SCIM request's path below BASE, as sent (req.path changes in the
 * routers a request goes through).
 */
function scimPath (req) {
  const path = req.originalUrl.split('?')[0]
  return path.startsWith(BASE) ? path.slice(BASE.length) : path
}

function isWrite (req) {
  return WRITES.has(req.method) && !/\/\.search\/?$/.test(scimPath(req))
}

/** A SCIM Error body for the statuses scimmy's ErrorResponse refuses. */
function errorBody (status, detail) {
  return { schemas: [ERROR_SCHEMA], status: String(status), detail }
}

/** The faults, in front of the SCIM routes. */
function faultInjector (state) {
  return (req, res, next) => {
    const f = state.faults
    if (f['fault-writes-only'] && !isWrite(req)) return next()
    const r = state.random()
    let status = 0
    if (r < f.throttle) status = 429
    else if (r < f.throttle + f.unavailable) status = 503
    if (!status) return next()
    req.scimFault = status
    res.status(status).set({
      'Retry-After': String(f['retry-after']),
      'Content-Type': 'application/scim+json'
    }).send(JSON.stringify(errorBody(status, status === 429
      ? 'Too many requests: try again later'
      : 'The service is unavailable: try again later')))
  }
}

/** The body as JSON, for refuser(); one that is none answers 400. */
function scimBody () {
  const parse = express.json({ type: () => true, limit: '256mb', strict: false })
  return (req, res, next) => parse(req, res, err => {
    if (!err) return next()
    res.status(400).set('Content-Type', 'application/scim+json')
      .send(JSON.stringify({
        schemas: [ERROR_SCHEMA],
        status: '400',
        scimType: 'invalidSyntax',
        detail: err.message
      }))
  })
}

/** --refuse-user: writes that name a refused user answer 400. */
function refuser (state) {
  return (req, res, next) => {
    const names = new Set(state.faults['refuse-user'].map(lower))
    if (names.size === 0 || !isWrite(req)) return next()
    const body = JSON.stringify(req.body ?? null)
    let hit = null
    if (typeof req.body?.userName === 'string' &&
        names.has(lower(req.body.userName))) hit = req.body.userName
    for (const user of state.store.users.values()) {
      if (hit || !names.has(lower(user.data.userName))) continue
      if (scimPath(req) === `/Users/${user.id}` || body.includes(user.id)) {
        hit = user.data.userName
      }
    }
    if (!hit) return next()
    res.status(400).set('Content-Type', 'application/scim+json')
      .send(JSON.stringify({
        schemas: [ERROR_SCHEMA],
        status: '400',
        scimType: 'invalidValue',
        detail: `user ${hit} may not be changed here`
      }))
  }
}

/**
 * The authentication handler of scimmy-routers: throws to refuse.  It
 * names no user, so /Me answers 501.
 */
function checkToken (state, req) {
  let token
  try {
    token = fs.readFileSync(state.cfg.tokenFile, 'utf8').split('\n')[0]
  } catch (err) {
    throw new Error(`the server cannot read its token: ${err.message}`)
  }
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(req.get('Authorization') || '')
  const a = Buffer.from(m ? m[1] : '')
  const b = Buffer.from(token)
  if (!m || token === '' || a.length !== b.length ||
      !crypto.timingSafeEqual(a, b)) {
    req.res.set('WWW-Authenticate', 'Bearer realm="scimserver"')
    throw new Error(m ? 'The bearer token is not valid'
      : 'A bearer token is required')
  }
}

function logValue (v) {
  const text = String(v)
  return /^[^\s"\\]+$/.test(text) ? text : JSON.stringify(text)
}

const NOTE_KEYS = ['userName', 'displayName', 'active', 'add', 'remove']

/**
 * A write the handlers did not get to (a PATCH that scimmy refused, a
 * body the schema refused) still names its user or group: the one its
 * path names, or the one its body does.
 */
function nameTarget (state, req) {
  const note = req.scimNote
  const m = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/.exec(scimPath(req))
  if (!m) return
  const key = m[1] === 'Users' ? 'userName' : 'displayName'
  if (note[key] !== undefined) return
  let id = m[2]
  try {
    id = id && decodeURIComponent(id)
  } catch (err) {
    // a malformed escape: the id as it is, which names no one
  }
  const known = id && state.store[m[1] === 'Users' ? 'users' : 'groups'].get(id)
  if (known) note[key] = known.data[key]
  else if (typeof req.body?.[key] === 'string') note[key] = req.body[key]
}

/**
 * Logs a SCIM request and counts it, when its answer starts going out
 * (so that the log and the counters are up to date when the client has
 * the answer).
 */
function accounting (state) {
  return (req, res, next) => {
    req.scimNote = {}
    const end = res.end
    let done = false
    res.end = function (...args) {
      if (!done) {
        done = true
        const status = res.statusCode
        let line = `${req.method} ${req.originalUrl} ${status}`
        state.counts.requests++
        if (req.scimFault) {
          state.counts.faults++
          line += ` fault=${req.scimFault}`
        } else {
          if (isWrite(req)) nameTarget(state, req)
          for (const key of NOTE_KEYS) {
            if (req.scimNote[key] !== undefined) {
              line += ` ${key}=${logValue(req.scimNote[key])}`
            }
          }
          if (isWrite(req) && status >= 200 && status < 300) {
            state.counts.writes++
          }
        }
        state.log(line)
      }
      return end.apply(this, args)
    }
    next()
  }
}

// ---- test control -----------------------------------------------------------

function faultSettings (state) {
  const out = {}
  for (const key of FAULT_KEYS) out[key] = state.faults[key]
  return out
}

/** The ServiceProviderConfig's filter.maxResults follows --max-count. */
function advertiseMaxCount (state) {
  const max = state.faults['max-count']
  SCIMMY.Config.set({
    filter: { maxResults: max === null ? state.maxResults : max }
  })
}

function controlRouter (state) {
  const router = express.Router()
  router.use(express.json({ type: () => true, limit: '256mb', strict: false }))
  router.get('/state', (req, res) => {
    res.json(currentState(state))
  })
  router.put('/state', (req, res) => {
    try {
      state.store = Store.fromSeed(req.body)
    } catch (err) {
      res.status(400).json({ error: err.message })
      return
    }
    state.log(`control PUT ${req.originalUrl} 200 ` +
      `users=${state.store.users.size} groups=${state.store.groups.size}`)
    res.json(currentState(state))
  })
  router.get('/faults', (req, res) => {
    res.json(faultSettings(state))
  })
  router.post('/faults', (req, res) => {
    const body = req.body
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      res.status(400).json({ error: 'the body is not a JSON object' })
      return
    }
    const faults = { ...state.faults }
    for (const [key, value] of Object.entries(body)) {
      const err = setFault(faults, key, value)
      if (err) {
        res.status(400).json({ error: err })
        return
      }
    }
    const err = faultsCheck(faults)
    if (err) {
      res.status(400).json({ error: err })
      return
    }
    state.faults = faults
    if ('random-seed' in body) state.random = generator(faults['random-seed'])
    advertiseMaxCount(state)
    state.log(`control POST ${req.originalUrl} 200 ${JSON.stringify(body)}`)
    res.json(faultSettings(state))
  })
  router.use((req, res) => {
    res.status(404).json({ error: `no ${req.method} ${req.originalUrl}` })
  })
  router.use((err, req, res, next) => {
    res.status(err.status || 500).json({ error: err.message })
  })
  return router
}

function currentState (state) {
  return {
    ...state.store.summary(),
    writes: state.counts.writes,
    requests: state.counts.requests,
    faults: state.counts.faults
  }
}

// ---- start ------------------------------------------------------------

function openLog (file) {
  if (!file) return line => process.stderr.write(line + '\n')
  const fd = fs.openSync(file, 'a')
  return line => fs.writeSync(fd, line + '\n')
}

function app (state) {
  declareUsers(state)
  declareGroups(state)
  const scim = new SCIMMYRouters({
    type: 'bearer',
    handler: req => checkToken(state, req),
    context: req => req.scimNote,
    baseUri: req => `${req.protocol}://${req.get('host') || state.address}`
  })
  // scimmy-routers turns on bulk; its writes would bypass the log's notes.
  SCIMMY.Config.set({ bulk: false })
  state.maxResults = SCIMMY.Config.get().filter.maxResults
  advertiseMaxCount(state)

  const a = express()
  a.disable('x-powered-by')
  a.set('etag', false)
  a.set('query parser', 'simple')
  a.use('/_test', controlRouter(state))
  a.use(BASE, accounting(state), faultInjector(state), scimBody(),
    refuser(state), fixPage, scim)
  a.use((req, res) => {
    res.status(404).type('application/scim+json').send(JSON.stringify(
      errorBody(404, `Nothing here: the SCIM API is at ${BASE}`)))
  })
  a.use((err, req, res, next) => {
    // scimmy-routers passes on what it answered 5xx, 501 too.
    state.log(`error ${req.method} ${req.originalUrl}: ` +
      `${err instanceof SCIMMY.Types.Error ? err.message : err.stack || err}`)
    if (!res.headersSent) {
      res.status(500).type('application/scim+json').send(JSON.stringify(
        errorBody(500, String(err.message || err))))
    }
  })
  return a
}

function main () {
  const cfg = readOptions(process.argv.slice(2))
  const log = openLog(cfg.log)
  let store = new Store()
  let file = cfg.tokenFile
  try {
    fs.readFileSync(file)
    if (cfg.seed) {
      file = cfg.seed
      store = Store.fromSeed(JSON.parse(fs.readFileSync(file, 'utf8')))
    }
  } catch (err) {
    process.stderr.write(`scimserver.js: ${file}: ${err.message}\n`)
    process.exit(1)
  }
  const state = {
    cfg,
    log,
    store,
    faults: cfg.faults,
    random: generator(cfg.faults['random-seed']),
    counts: { requests: 0, writes: 0, faults: 0 },
    address: cfg.host
  }
  const handler = app(state)
  const server = cfg.tlsCert
    ? https.createServer({
      cert: fs.readFileSync(cfg.tlsCert), key: fs.readFileSync(cfg.tlsKey)
    }, handler)
    : http.createServer(handler)
  server.on('error', err => {
    log(`error: ${err.message}`)
    process.exit(1)
  })
  server.on('clientError', (err, socket) => {
    log(`error: client: ${err.message}`)
    socket.destroy()
  })
  server.listen(cfg.port, cfg.host, () => {
    const port = server.address().port
    state.address = `${cfg.host}:${port}`
    if (cfg.portFile) {
      fs.writeFileSync(cfg.portFile + '.tmp', `${port}\n`)
      fs.renameSync(cfg.portFile + '.tmp', cfg.portFile)
    }
    const f = cfg.faults
    const scheme = cfg.tlsCert ? 'https' : 'http'
    log(`listening ${scheme}://${cfg.host}:${port}${BASE} ` +
      `users=${store.users.size} groups=${store.groups.size} ` +
      `throttle=${f.throttle} unavailable=${f.unavailable} ` +
      `max-count=${f['max-count'] === null ? 'none' : f['max-count']} ` +
      `hidden=${f['hide-from-list'].length}`)
  })
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(sig, () => process.exit(0))
  }
}

main()
