import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OsDesired } from '@boottorrent/contracts';

const MiB = 1024 * 1024;
/** A kernel-sized first file; the initrd takes the rest of the image. */
const KERNEL_BYTES = 8 * MiB;

async function writeRandom(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const chunk = randomBytes(4 * MiB);
    for (let done = 0; done < bytes; ) {
      // Vary each chunk a little so no two pieces are alike (SHA-1 does not care, aria2c neither).
      chunk.writeUInt32LE(done, 0);
      const n = Math.min(chunk.length, bytes - done);
      await handle.write(chunk, 0, n);
      done += n;
    }
  } finally {
    await handle.close();
  }
}

/**
 * oss/<name>/ with vmlinuz (random) and initrd.img, random or sparse (a 2 GiB sparse file
 * costs no disk and reads as zeros: what matters there is the seeder's memory, not the bytes).
 */
export async function writeBenchOs(projectDir: string, name: string, totalBytes: number, initrd: 'random' | 'sparse'): Promise<OsDesired> {
  const dir = join(projectDir, 'oss', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.yaml'), `dispname: ${name}\nkernel: vmlinuz\ninitrd: initrd.img\ncmdline: quiet\n`);
  const kernelBytes = Math.min(KERNEL_BYTES, Math.floor(totalBytes / 4));
  await writeRandom(join(dir, 'vmlinuz'), kernelBytes);
  if (initrd === 'random') await writeRandom(join(dir, 'initrd.img'), totalBytes - kernelBytes);
  else {
    await writeFile(join(dir, 'initrd.img'), '');
    await truncate(join(dir, 'initrd.img'), totalBytes - kernelBytes);
  }
  const files = [];
  for (const path of ['initrd.img', 'vmlinuz']) {
    const info = await stat(join(dir, path));
    files.push({ path, length: info.size, mtimeMs: info.mtimeMs });
  }
  return { name, dispname: name, method: 'kexec', dir: `oss/${name}`, kernel: 'vmlinuz', initrd: 'initrd.img', cmdline: 'quiet', files };
}
