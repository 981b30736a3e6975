// Replaces pg's lib/crypto/utils.js in the bundle (see scripts/build.mjs): the same functions and results
// through node:crypto's synchronous calls instead of WebCrypto. pg reads `crypto.webcrypto` when it is
// loaded, which loads Node's WebCrypto modules, and its SCRAM login then makes six asynchronous subtle
// calls; together they cost wait-for-db 3-5 ms of every cold start against PostgreSQL.
const nodeCrypto = require('node:crypto');

module.exports = { postgresMd5PasswordHash, randomBytes, deriveKey, sha256, hashByName, hmacSha256, md5 };

function randomBytes(length) {
  return nodeCrypto.randomBytes(length);
}

async function md5(string) {
  return nodeCrypto.createHash('md5').update(string, 'utf-8').digest('hex');
}

async function postgresMd5PasswordHash(user, password, salt) {
  const inner = await md5(password + user);
  const outer = await md5(Buffer.concat([Buffer.from(inner), salt]));
  return 'md5' + outer;
}

async function sha256(data) {
  return nodeCrypto.createHash('sha256').update(data).digest();
}

/** The digests WebCrypto offers, by its names (pg's cert-signatures.js returns those); others are refused as
 *  WebCrypto refuses them. */
const DIGESTS = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
async function hashByName(name, data) {
  if (!Object.hasOwn(DIGESTS, name)) throw new Error('Unrecognized algorithm name');
  return nodeCrypto.createHash(DIGESTS[name]).update(data).digest();
}

async function hmacSha256(key, message) {
  return nodeCrypto.createHmac('sha256', Buffer.from(key)).update(message, 'utf8').digest();
}

async function deriveKey(password, salt, iterations) {
  return nodeCrypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
}
