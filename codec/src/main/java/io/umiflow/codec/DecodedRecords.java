package io.umiflow.codec;

/** Raw BAM records decoded from a CRAM slice or a block of SAM lines: {@code bytes[0..length)}, {@code records} of them. */
record DecodedRecords(byte[] bytes, int length, int records) {}
