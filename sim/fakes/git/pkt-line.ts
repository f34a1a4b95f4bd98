/** Git's pkt-line framing and side-band multiplexing, for the in-memory smart-HTTP remote. */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const FLUSH = encoder.encode('0000');

export function pkt(data: string | Uint8Array): Uint8Array {
  const payload = typeof data === 'string' ? encoder.encode(data) : data;
  const out = new Uint8Array(payload.length + 4);
  out.set(encoder.encode((payload.length + 4).toString(16).padStart(4, '0')));
  out.set(payload, 4);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits leading pkt-lines up to (and consuming) the first flush; returns the lines and the rest. */
export function readPktLines(data: Uint8Array): { lines: string[]; rest: Uint8Array } {
  const lines: string[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const length = parseInt(decoder.decode(data.subarray(at, at + 4)), 16);
    if (Number.isNaN(length)) break;
    if (length === 0) {
      at += 4;
      return { lines, rest: data.subarray(at) };
    }
    lines.push(decoder.decode(data.subarray(at + 4, at + length)));
    at += length;
  }
  return { lines, rest: data.subarray(at) };
}

/** Wraps a payload in side-band channel 1 packets (at most 65515 bytes of data each), then a flush. */
export function sideBand(payload: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += 65515) {
    const chunk = payload.subarray(at, at + 65515);
    const framed = new Uint8Array(chunk.length + 1);
    framed[0] = 1;
    framed.set(chunk, 1);
    parts.push(pkt(framed));
  }
  parts.push(FLUSH);
  return concat(parts);
}
