/**
 * Internal: position groups too large for memory. The grouper streams a giant group into a
 * {@link io.umiflow.actors.outofcore.SpillFile}; {@link io.umiflow.actors.outofcore.OutOfCoreGroup} groups it
 * within a fixed reserve (distinct UMI entries in a {@link io.umiflow.actors.outofcore.ByteKeyIndex}, sorted
 * runs, a merge) with the same molecules, order and flags as the in-memory path. Temporary files live in a
 * {@link io.umiflow.actors.outofcore.SpillFolder}, deleted with the job.
 */
package io.umiflow.actors.outofcore;
