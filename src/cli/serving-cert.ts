/**
 * The node's serving certificate. kubectl (client-go's clientcmd) sends a bearer token only over
 * TLS, so a kubeconfig that works "with no other flag" needs an https:// server it can verify:
 * a self-signed ECDSA P-256 certificate, made once per state directory and carried in the
 * kubeconfig as `certificate-authority-data`. Node has no certificate builder, so the X.509
 * structure is DER-encoded here (RFC 5280), signed with node:crypto.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ServingCert {
  /** PEM. */
  cert: string;
  /** PEM (PKCS#8). */
  key: string;
}

const TLS_DIR = 'tls';
const CERT_FILE = 'serving.crt';
const KEY_FILE = 'serving.key';
const VALID_DAYS = 3650;

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const octets = (content: Buffer): Buffer => der(0x04, content);
const bits = (content: Buffer, unused = 0): Buffer =>
  der(0x03, Buffer.concat([Buffer.from([unused]), content]));
const utf8 = (text: string): Buffer => der(0x0c, Buffer.from(text, 'utf8'));
const TRUE = der(0x01, Buffer.from([0xff]));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? der(0x17, Buffer.from(digits.slice(2))) : der(0x18, Buffer.from(digits));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand IPv6 (with ::) to 16 bytes.
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [TRUE] : []), octets(value));
}

/** Names the certificate covers: loopback always, plus the listen host when it is specific. */
export function certNames(listenHost: string): { ips: string[]; dns: string[] } {
  const ips = ['127.0.0.1', '::1'];
  const dns = ['localhost'];
  const host = listenHost.replace(/^\[|\]$/g, '');
  if (host && host !== '0.0.0.0' && host !== '::') {
    if (isIP(host)) {
      if (!ips.includes(host)) ips.push(host);
    } else if (!dns.includes(host)) dns.push(host);
  }
  return { ips, dns };
}

/** A fresh self-signed certificate (CA and server in one) for `names`. */
export function createSelfSignedCert(names: { ips: string[]; dns: string[] }, now = Date.now()): ServingCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  // Positive, and minimal DER (a leading 0x00 before a byte < 0x80 is illegal padding).
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const name = seq(set(seq(oid('2.5.4.3'), utf8('podvisor'))));
  const san = seq(
    ...names.dns.map((d) => der(0x82, Buffer.from(d, 'ascii'))),
    ...names.ips.map((ip) => der(0x87, ipBytes(ip))),
  );
  const extensions = seq(
    extension('2.5.29.19', true, seq(TRUE)), // basicConstraints: CA (it is its own root)
    extension('2.5.29.15', true, bits(Buffer.from([0x84]), 2)), // digitalSignature, keyCertSign
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
    extension('2.5.29.17', false, san),
  );
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // version 3
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(now - 60_000), time(now + VALID_DAYS * 86_400_000)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, ecdsaWithSha256, bits(signature));
  const body = cert.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function stillGood(saved: ServingCert, names: { ips: string[]; dns: string[] }, now: number): boolean {
  try {
    const x509 = new X509Certificate(saved.cert);
    if (!x509.checkPrivateKey(createPrivateKey(saved.key))) return false;
    if (Date.parse(x509.validTo) - now < 30 * 86_400_000) return false;
    return (
      names.ips.every((ip) => x509.checkIP(ip) !== undefined) &&
      names.dns.every((d) => x509.checkHost(d) !== undefined)
    );
  } catch {
    return false;
  }
}

async function writePrivate(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/**
 * `<stateDir>/tls/serving.{crt,key}` (key 0600), reused across restarts so that a kubeconfig
 * keeps working; made anew when missing, unreadable, expiring or not covering `listenHost`.
 */
export async function loadOrCreateServingCert(stateDir: string, listenHost: string): Promise<ServingCert> {
  const dir = join(stateDir, TLS_DIR);
  const names = certNames(listenHost);
  try {
    const saved = {
      cert: await readFile(join(dir, CERT_FILE), 'utf8'),
      key: await readFile(join(dir, KEY_FILE), 'utf8'),
    };
    if (stillGood(saved, names, Date.now())) {
      // Files restored from a backup or copied by hand may have lost their modes (SECURITY.md §3).
      await chmod(dir, 0o700);
      await chmod(join(dir, KEY_FILE), 0o600);
      await chmod(join(dir, CERT_FILE), 0o600);
      return saved;
    }
  } catch {
    // none yet
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fresh = createSelfSignedCert(names);
  await writePrivate(join(dir, KEY_FILE), fresh.key, 0o600);
  await writePrivate(join(dir, CERT_FILE), fresh.cert, 0o600);
  return fresh;
}

/** The certificate of a state directory, for a kubeconfig (undefined when the node has none). */
export async function readServingCert(stateDir: string): Promise<string | undefined> {
  try {
    return await readFile(join(stateDir, TLS_DIR, CERT_FILE), 'utf8');
  } catch {
    return undefined;
  }
}
