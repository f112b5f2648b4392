// @ts-check
/**
 * Just enough tar for the Talos Kubeconfig call: read the regular files of a gzipped
 * ustar archive in memory, and (for the fake cluster) write one.
 */
"use strict";

const zlib = require("node:zlib");

const BLOCK = 512;

/**
 * A NUL-terminated ASCII field of a tar header.
 * @param {Buffer} header
 * @param {number} start
 * @param {number} length
 */
function field(header, start, length) {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * The regular files in a tar archive, by path. Throws on a damaged header.
 * @param {Buffer} tar
 * @returns {Map<string, Buffer>}
 */
function readTar(tar) {
  /** @type {Map<string, Buffer>} */
  const files = new Map();
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    const recorded = parseInt(field(header, 148, 8).trim(), 8);
    if (recorded !== sum) throw new Error(`tar header at byte ${at} has a bad checksum`);
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    if (body.length < size) throw new Error(`tar entry ${name} is truncated`);
    if (type === "0") files.set(prefix === "" ? name : `${prefix}/${name}`, Buffer.from(body));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/**
 * The regular files of a .tar.gz, by path.
 * @param {Buffer} tgz
 */
function readTarGz(tgz) {
  return readTar(zlib.gunzipSync(tgz));
}

/**
 * A gzipped ustar archive of `files` (name -> content); names under 100 bytes.
 * @param {Record<string, string | Buffer>} files
 * @returns {Buffer}
 */
function writeTarGz(files) {
  /** @type {Buffer[]} */
  const parts = [];
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(BLOCK);
    header.write(name, 0, 100, "utf8");
    header.write("0000600\0", 100, 8, "ascii");
    header.write("0000000\0", 108, 8, "ascii");
    header.write("0000000\0", 116, 8, "ascii");
    header.write(body.length.toString(8).padStart(11, "0") + "\0", 124, 12, "ascii");
    header.write("00000000000\0", 136, 12, "ascii");
    header.write("        ", 148, 8, "ascii");
    header.write("0", 156, 1, "ascii");
    header.write("ustar\0", 257, 6, "ascii");
    header.write("00", 263, 2, "ascii");
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    parts.push(header, body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return zlib.gzipSync(Buffer.concat(parts));
}

module.exports = { readTar, readTarGz, writeTarGz };
