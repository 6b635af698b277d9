package dev.vmsup.supervisor.config;

import java.time.Duration;

/**
 * How long vmsup waits for QEMU at each step; every wait has one.
 *
 * @param qmpConnect the QMP socket to answer after QEMU starts (the wait ends early if QEMU exits or a stop is
 *                   asked for, so a slow, loaded host is given time without a fixed guess)
 * @param qmpCommand one QMP command's reply
 * @param cpuUnplug  the guest to release unplugged CPUs
 * @param powerdown  a running guest to power off after the ACPI button, before QEMU is told to quit
 * @param quit       QEMU to exit after {@code quit}, before SIGKILL
 */
public record Deadlines(Duration qmpConnect, Duration qmpCommand, Duration cpuUnplug, Duration powerdown,
        Duration quit) {
    public static final Deadlines DEFAULTS = new Deadlines(Duration.ofSeconds(60), Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(5));
}
