package dev.vmsup.supervisor.vm;

import java.util.List;

/**
 * One CPU {@code device_add} plugged: the host threads QEMU made for it and when QEMU's reply came
 * ({@link System#nanoTime}), from which on the new vCPU runs unconstrained until it is placed.
 */
public record PluggedCpu(List<Integer> threads, long repliedAtNanos) {
}
