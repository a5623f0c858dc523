/**
 * Internal: the one memory budget. {@link io.umiflow.actors.memory.MemoryPlan} splits
 * {@code --memory} into accounts; {@link io.umiflow.actors.memory.MemoryLedger} grants and takes back byte
 * credits in them (the flow account by output-order priority, with a reserve for the head);
 * {@link io.umiflow.actors.memory.ByteArrayPool} reuses batch arrays while they stay charged.
 * {@code docs/memory.md} explains why the head can always proceed.
 */
package io.umiflow.actors.memory;
