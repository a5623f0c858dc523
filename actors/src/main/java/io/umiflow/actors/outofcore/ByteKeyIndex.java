package io.umiflow.actors.outofcore;

import java.util.Arrays;

/**
 * Byte strings to dense ids 0..n-1, without an object per key: keys lie back to back in one arena and an
 * open-addressing table (linear probing, load factor at most 0.5) holds id+1 per slot. The out-of-core path
 * keys a giant group's distinct (partition, orientation, UMI) entries with it.
 *
 * <p>Cost: about 20 bytes per key plus the key itself (table slots, offsets, cached hashes, arena slack).
 */
public final class ByteKeyIndex {
  private byte[] arena = new byte[1 << 10];
  private int[] offsets = new int[65];
  private int[] hashes = new int[65];
  private int[] table = new int[128];
  private int size;

  int size() {
    return size;
  }

  /** Id of the key {@code k[off..off+len)}, adding it if new. */
  int add(byte[] k, int off, int len) {
    int h = hash(k, off, len);
    int slot = probe(h, k, off, len);
    int id = table[slot] - 1;
    return id >= 0 ? id : insert(slot, h, k, off, len);
  }

  /** Id of the key, or -1 when absent. */
  int find(byte[] k, int off, int len) {
    return table[probe(hash(k, off, len), k, off, len)] - 1;
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private int probe(int h, byte[] k, int off, int len) {
    int mask = table.length - 1;
    for (int slot = h & mask; ; slot = (slot + 1) & mask) {
      int id = table[slot] - 1;
      if (id < 0 || (hashes[id] == h && Arrays.equals(arena, offsets[id], offsets[id + 1], k, off, off + len))) {
        return slot;
      }
    }
  }

  /** The arena holding every key; key {@code id} is {@code arena()[start(id)..end(id))}. */
  byte[] arena() {
    return arena;
  }

  int start(int id) {
    return offsets[id];
  }

  int end(int id) {
    return offsets[id + 1];
  }

  long retainedBytes() {
    return arena.length + 4L * offsets.length + 4L * hashes.length + 4L * table.length + 64;
  }

  /** Upper bound of {@link #retainedBytes()} after adding {@code more} keys of at most {@code keyBytes} each. */
  long bytesAfter(int more, int keyBytes) {
    long n = (long) size + more;
    long arenaNeed = Math.max(arena.length, 2 * (offsets[size] + (long) more * keyBytes));
    long table = Math.max(this.table.length, Long.highestOneBit(Math.max(1, 2 * n)) * 2);
    return arenaNeed + 2 * 8L * n + 4L * table + 64;
  }

  private int insert(int slot, int h, byte[] k, int off, int len) {
    int id = size;
    int start = offsets[id];
    if (start + len > arena.length) {
      arena = Arrays.copyOf(arena, Math.max(arena.length * 2, start + len));
    }
    System.arraycopy(k, off, arena, start, len);
    if (id + 2 > offsets.length) {
      offsets = Arrays.copyOf(offsets, offsets.length * 2);
      hashes = Arrays.copyOf(hashes, hashes.length * 2);
    }
    offsets[id + 1] = start + len;
    hashes[id] = h;
    table[slot] = id + 1;
    size++;
    if (2 * size > table.length) {
      rehash();
    }
    return id;
  }

  private void rehash() {
    int[] t = new int[table.length * 2];
    int mask = t.length - 1;
    for (int id = 0; id < size; id++) {
      int slot = hashes[id] & mask;
      while (t[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      t[slot] = id + 1;
    }
    table = t;
  }

  private static int hash(byte[] k, int off, int len) {
    int h = 0x9747b28c ^ len;
    for (int i = 0; i < len; i++) {
      h = (h ^ k[off + i]) * 0x01000193;
    }
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    return h;
  }
}
