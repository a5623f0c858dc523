package io.umiflow.actors.pipeline;

import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.batch.Batch;
import io.umiflow.actors.batch.BatchAssigner;
import io.umiflow.actors.batch.MoleculeIdTag;
import io.umiflow.actors.memory.MemoryPlan;
import io.umiflow.codec.Bgzf;
import io.umiflow.codec.BlockDeflater;
import io.umiflow.codec.TagEditor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns an assigned batch into output: its kept templates in output order, every record with its molecule
 * id tag (and duplicate flag), either compressed into BGZF blocks a block at a time (file output) or copied
 * into one {@link GroupedBatch} (stream stage). One per worker; its encode and deflate buffers are the
 * worker kit ({@link MemoryPlan#WORKER_KIT_BYTES}) and are reused, so encoding allocates only the blocks it
 * returns — no batch-sized copy exists.
 */
final class BatchEncoder {
  /** Compressed blocks of consecutive templates of a batch. */
  record Blocks(List<byte[]> blocks, long compressedBytes, long records) {
    /** The blocks of slices of one batch, in order (BGZF blocks concatenate at any split). */
    static Blocks concat(List<Blocks> slices) {
      List<byte[]> blocks = new ArrayList<>();
      long compressedBytes = 0;
      long records = 0;
      for (Blocks slice : slices) {
        blocks.addAll(slice.blocks());
        compressedBytes += slice.compressedBytes();
        records += slice.records();
      }
      return new Blocks(blocks, compressedBytes, records);
    }
  }

  private static final int ENCODE_BUFFER = 2 * Bgzf.MAX_PAYLOAD;
  private final boolean paired;
  private final byte[] assignTag;
  private final BlockDeflater deflater;
  private final byte[] blockScratch = new byte[Bgzf.MAX_BLOCK_SIZE];
  private final byte[] value = new byte[MoleculeIdTag.MAX_LENGTH];
  private byte[] encode = new byte[ENCODE_BUFFER];
  private int encodeStart;

  BatchEncoder(GroupSettings settings, boolean paired) {
    this.paired = paired;
    this.assignTag = settings.assignTag().getBytes(StandardCharsets.US_ASCII);
    this.deflater = new BlockDeflater(settings.compressionLevel(), settings.deflateBackend());
  }

  /**
   * Encodes kept templates {@code order[from..to)} of {@code b} with ids counted from {@code base} and
   * compresses them into BGZF blocks.
   */
  Blocks compress(Batch b, BatchAssigner.Result a, long base, int from, int to) {
    byte[] d = b.data();
    List<byte[]> blocks = new ArrayList<>();
    long compressedBytes = 0;
    int used = 0;
    long records = 0;
    long lastId = -1;
    boolean lastStrand = false;
    int vlen = 0;
    for (int i = from; i < to; i++) {
      int t = a.order()[i];
      long id = base + a.molecule()[t];
      if (id != lastId || a.bStrand()[t] != lastStrand) { // templates of one molecule are adjacent here
        vlen = MoleculeIdTag.format(id, paired, a.bStrand()[t], value);
        lastId = id;
        lastStrand = a.bStrand()[t];
      }
      for (int r = 0; r < 2; r++) {
        int rec = r == 0 ? b.r1()[t] : b.r2()[t];
        if (rec < 0) {
          continue;
        }
        ensureEncodeRoom(used + TagEditor.maxEditedSize(d, rec, vlen));
        used += write(b, rec, vlen, a.duplicate(), t, encode, used);
        records++;
        // compress as soon as a block's worth is there, so that only the part of this record past the block's
        // end moves to the front (filling the buffer first moved most of a block per block: 2.6 GB per 20M
        // records). Blocks still end every MAX_PAYLOAD bytes of the encoded slice, so the output is the same.
        if (used >= Bgzf.MAX_PAYLOAD) {
          compressedBytes += compressFull(blocks, used);
          used = keepTail(used);
        }
      }
    }
    if (used > 0) {
      int len = deflater.deflate(encode, 0, used, blockScratch, 0);
      blocks.add(Arrays.copyOf(blockScratch, len));
      compressedBytes += len;
    }
    if (encode.length > ENCODE_BUFFER) {
      encode = new byte[ENCODE_BUFFER]; // a giant record grew it; do not keep that
    }
    return new Blocks(blocks, compressedBytes, records);
  }

  /**
   * Stream-stage output: the kept records of {@code b} with their ids, uncompressed, with template and group
   * boundaries. Its size is at most {@link Batch#outputBound()}, which the batch's credit covers.
   */
  GroupedBatch records(Batch b, BatchAssigner.Result a, long base) {
    byte[] d = b.data();
    byte[] out = new byte[(int) Math.min(Integer.MAX_VALUE - 16, b.outputBound())];
    int[] recordStart = new int[b.records() + 1];
    int[] templateStart = new int[a.keptCount() + 1];
    int[] groupStart = new int[a.keptGroups() + 1];
    for (int g = 1; g <= a.keptGroups(); g++) {
      groupStart[g] = a.groupEnd()[g - 1];
    }
    int used = 0;
    int records = 0;
    for (int i = 0; i < a.keptCount(); i++) {
      int t = a.order()[i];
      templateStart[i] = records;
      int vlen = MoleculeIdTag.format(base + a.molecule()[t], paired, a.bStrand()[t], value);
      for (int r = 0; r < 2; r++) {
        int rec = r == 0 ? b.r1()[t] : b.r2()[t];
        if (rec < 0) {
          continue;
        }
        recordStart[records++] = used;
        used += write(b, rec, vlen, a.duplicate(), t, out, used);
      }
    }
    recordStart[records] = used;
    templateStart[a.keptCount()] = records;
    return new GroupedBatch(out, used, recordStart, records, templateStart, a.keptCount(), groupStart,
        a.keptGroups());
  }

  private int write(Batch b, int rec, int vlen, boolean[] duplicate, int template, byte[] out, int at) {
    return MoleculeIdTag.write(b.data(), rec, b.mayHoldAssignTag(), assignTag, value, vlen, duplicate != null,
        duplicate != null && duplicate[template], out, at);
  }

  /** Compresses every whole block's worth of {@code encode[0..used)}; returns the compressed bytes added. */
  private long compressFull(List<byte[]> blocks, int used) {
    long total = 0;
    encodeStart = 0;
    while (used - encodeStart >= Bgzf.MAX_PAYLOAD) {
      int len = deflater.deflate(encode, encodeStart, Bgzf.MAX_PAYLOAD, blockScratch, 0);
      blocks.add(Arrays.copyOf(blockScratch, len));
      total += len;
      encodeStart += Bgzf.MAX_PAYLOAD;
    }
    return total;
  }

  /** Moves the bytes not yet compressed to the front of the encode buffer; returns how many there are. */
  private int keepTail(int used) {
    int tail = used - encodeStart;
    System.arraycopy(encode, encodeStart, encode, 0, tail);
    encodeStart = 0;
    return tail;
  }

  private void ensureEncodeRoom(int n) {
    if (encode.length < n) {
      encode = Arrays.copyOf(encode, Math.max(n, encode.length * 2));
    }
  }
}
