/*
 * Just enough of RFC 2131/2132 (and the PXE vendor options of option 43) to act as a DHCP or
 * PXE client in tests. BOOTP layout: a fixed 236-byte header, the magic cookie, then options.
 */

export const DhcpMessageType = { discover: 1, offer: 2, request: 3, decline: 4, ack: 5, nak: 6, release: 7, inform: 8 } as const;

export const DhcpOption = {
  subnetMask: 1,
  requestedIp: 50,
  messageType: 53,
  serverId: 54,
  paramRequestList: 55,
  vendorClass: 60,
  vendorSpecific: 43,
  userClass: 77,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  ipxeEncap: 175,
} as const;

export interface DhcpPacket {
  op: 1 | 2;
  xid: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  chaddr: string;
  sname: string;
  file: string;
  options: Map<number, Buffer>;
}

const HEADER_LENGTH = 236;
const MAGIC_COOKIE = Buffer.from([99, 130, 83, 99]);
/** The broadcast bit of `flags`: servers must broadcast replies to a client without an address. */
export const BROADCAST_FLAG = 0x8000;

function ipBytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipText(buf: Buffer, offset: number): string {
  return [0, 1, 2, 3].map((i) => buf[offset + i]).join('.');
}

function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('latin1');
}

export function encodeDhcp(packet: DhcpPacket): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = packet.op;
  header[1] = 1; // Ethernet
  header[2] = 6; // MAC length
  header.writeUInt32BE(packet.xid >>> 0, 4);
  header.writeUInt16BE(packet.flags, 10);
  ipBytes(packet.ciaddr).copy(header, 12);
  ipBytes(packet.yiaddr).copy(header, 16);
  ipBytes(packet.siaddr).copy(header, 20);
  Buffer.from(packet.chaddr.split(':').map((hex) => Number.parseInt(hex, 16))).copy(header, 28);
  header.write(packet.sname, 44, 64, 'latin1');
  header.write(packet.file, 108, 128, 'latin1');
  const options: Buffer[] = [];
  for (const [code, value] of packet.options) {
    options.push(Buffer.from([code, value.length]), value);
  }
  options.push(Buffer.from([255]));
  const body = Buffer.concat([header, MAGIC_COOKIE, ...options]);
  // Some servers ignore packets shorter than a classic BOOTP packet (300 bytes).
  return body.length >= 300 ? body : Buffer.concat([body, Buffer.alloc(300 - body.length)]);
}

export function decodeDhcp(buf: Buffer): DhcpPacket | null {
  if (buf.length < HEADER_LENGTH + 4 || !buf.subarray(HEADER_LENGTH, HEADER_LENGTH + 4).equals(MAGIC_COOKIE)) return null;
  const op = buf[0];
  if (op !== 1 && op !== 2) return null;
  const options = new Map<number, Buffer>();
  let i = HEADER_LENGTH + 4;
  while (i < buf.length) {
    const code = buf[i] ?? 255;
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    const length = buf[i + 1] ?? 0;
    options.set(code, Buffer.from(buf.subarray(i + 2, i + 2 + length)));
    i += 2 + length;
  }
  return {
    op,
    xid: buf.readUInt32BE(4),
    flags: buf.readUInt16BE(10),
    ciaddr: ipText(buf, 12),
    yiaddr: ipText(buf, 16),
    siaddr: ipText(buf, 20),
    chaddr: [...buf.subarray(28, 34)].map((byte) => byte.toString(16).padStart(2, '0')).join(':'),
    sname: cString(buf, 44, 64),
    file: cString(buf, 108, 128),
    options,
  };
}

export function messageTypeOf(packet: DhcpPacket): number | null {
  return packet.options.get(DhcpOption.messageType)?.[0] ?? null;
}

export function optionIp(packet: DhcpPacket, code: number): string | null {
  const value = packet.options.get(code);
  return value && value.length >= 4 ? ipText(value, 0) : null;
}

export interface PxeVendorOptions {
  discoveryControl: number | null;
  bootServers: { type: number; addresses: string[] }[];
  menu: { type: number; description: string }[];
}

/** Option 43 of a PXE offer (PXE spec 2.1, table 2-1): sub-options 6, 8 and 9. */
export function decodePxeVendorOptions(value: Buffer): PxeVendorOptions {
  const result: PxeVendorOptions = { discoveryControl: null, bootServers: [], menu: [] };
  let i = 0;
  while (i < value.length) {
    const code = value[i] ?? 255;
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    const length = value[i + 1] ?? 0;
    const data = value.subarray(i + 2, i + 2 + length);
    if (code === 6) result.discoveryControl = data[0] ?? null;
    if (code === 8) {
      for (let j = 0; j + 3 <= data.length; ) {
        const count = data[j + 2] ?? 0;
        const addresses = Array.from({ length: count }, (_, k) => ipText(data, j + 3 + 4 * k));
        result.bootServers.push({ type: data.readUInt16BE(j), addresses });
        j += 3 + 4 * count;
      }
    }
    if (code === 9) {
      for (let j = 0; j + 3 <= data.length; ) {
        const descLength = data[j + 2] ?? 0;
        result.menu.push({ type: data.readUInt16BE(j), description: data.subarray(j + 3, j + 3 + descLength).toString('latin1') });
        j += 3 + descLength;
      }
    }
    i += 2 + length;
  }
  return result;
}

/** Option 43 of a boot-server request: sub-option 71 names the menu item (type, layer 0). */
export function encodePxeBootItem(type: number): Buffer {
  return Buffer.from([71, 4, (type >> 8) & 255, type & 255, 0, 0, 255]);
}
