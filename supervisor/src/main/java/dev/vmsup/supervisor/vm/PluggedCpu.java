package dev.vmsup.supervisor.vm;

import java.util.List;

/**
 * One CPU {@code device_add} plugged: the host threads QEMU made for it, any other threads QEMU started meanwhile,
 * and when QEMU's reply came ({@link System#nanoTime}), from which on the new vCPU is placed or waits to be.
 */
public record PluggedCpu(List<Integer> threads, List<Integer> others, long repliedAtNanos) {
}
