import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** A bencoded value, decoded: byte strings stay Buffers. */
export type BValue = number | Buffer | BValue[] | { [key: string]: BValue };

/** A minimal bencode decoder for reading tracker answers in tests. */
export function bdecode(data: Buffer): BValue {
  let pos = 0;
  const next = (): BValue => {
    const c = String.fromCharCode(data[pos]!);
    if (c === 'i') {
      const end = data.indexOf(0x65, pos);
      const n = Number(data.subarray(pos + 1, end).toString());
      pos = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      pos += 1;
      const items: BValue[] = [];
      while (data[pos] !== 0x65) items.push(next());
      pos += 1;
      if (c === 'l') return items;
      const dict: Record<string, BValue> = {};
      for (let i = 0; i < items.length; i += 2) dict[(items[i] as Buffer).toString('latin1')] = items[i + 1]!;
      return dict;
    }
    const colon = data.indexOf(0x3a, pos);
    const length = Number(data.subarray(pos, colon).toString());
    const bytes = data.subarray(colon + 1, colon + 1 + length);
    pos = colon + 1 + length;
    return Buffer.from(bytes);
  };
  return next();
}

/** Percent-encodes raw bytes the way BitTorrent clients put info_hash/peer_id in a query. */
export function escapeBytes(bytes: Buffer): string {
  return [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

export interface HttpAnnounce {
  infoHash: string;
  peerId?: Buffer;
  port: number;
  left?: number;
  uploaded?: number;
  downloaded?: number;
  event?: string;
  numwant?: number;
}

/** GET /announce; returns the decoded bencoded dictionary. */
export async function httpAnnounce(base: string, a: HttpAnnounce): Promise<Record<string, BValue>> {
  const query = [
    `info_hash=${escapeBytes(Buffer.from(a.infoHash, 'hex'))}`,
    `peer_id=${escapeBytes(a.peerId ?? randomBytes(20))}`,
    `port=${a.port}`,
    `uploaded=${a.uploaded ?? 0}`,
    `downloaded=${a.downloaded ?? 0}`,
    `left=${a.left ?? 1000}`,
    'compact=1',
    ...(a.event ? [`event=${a.event}`] : []),
    ...(a.numwant !== undefined ? [`numwant=${a.numwant}`] : []),
  ].join('&');
  return httpGetBencoded(`${base}/announce?${query}`);
}

export async function httpGetBencoded(url: string): Promise<Record<string, BValue>> {
  const res = await fetch(url);
  return bdecode(Buffer.from(await res.arrayBuffer())) as Record<string, BValue>;
}

/** Compact peer list -> "ip:port" strings. */
export function compactPeers(peers: BValue | undefined): string[] {
  const buf = peers as Buffer;
  const out: string[] = [];
  for (let i = 0; buf && i + 6 <= buf.length; i += 6) out.push(`${buf[i]}.${buf[i + 1]}.${buf[i + 2]}.${buf[i + 3]}:${buf.readUInt16BE(i + 4)}`);
  return out;
}

const PROTOCOL_ID = Buffer.from('0000041727101980', 'hex');

/** Sends one UDP datagram and resolves with the first answer, or null after timeoutMs. */
export function udpExchange(host: string, port: number, packet: Buffer, timeoutMs = 1500): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (value: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    socket.on('message', (msg) => finish(msg));
    socket.on('error', () => finish(null));
    socket.send(packet, port, host);
  });
}

/** BEP 15: connect, then announce; returns the raw announce answer. */
export async function udpAnnounce(host: string, port: number, a: HttpAnnounce & { eventId?: number }): Promise<Buffer | null> {
  const connect = Buffer.concat([PROTOCOL_ID, Buffer.from([0, 0, 0, 0]), randomBytes(4)]);
  const answer = await udpExchange(host, port, connect);
  if (!answer || answer.readUInt32BE(0) !== 0) return answer;
  const packet = Buffer.alloc(98);
  answer.copy(packet, 0, 8, 16);
  packet.writeUInt32BE(1, 8);
  randomBytes(4).copy(packet, 12);
  Buffer.from(a.infoHash, 'hex').copy(packet, 16);
  (a.peerId ?? randomBytes(20)).copy(packet, 36);
  packet.writeBigUInt64BE(BigInt(a.downloaded ?? 0), 56);
  packet.writeBigUInt64BE(BigInt(a.left ?? 1000), 64);
  packet.writeBigUInt64BE(BigInt(a.uploaded ?? 0), 72);
  packet.writeUInt32BE(a.eventId ?? 2, 80);
  packet.writeUInt32BE(0, 84);
  randomBytes(4).copy(packet, 88);
  packet.writeUInt32BE(a.numwant ?? 50, 92);
  packet.writeUInt16BE(a.port, 96);
  return udpExchange(host, port, packet);
}

export { PROTOCOL_ID };
