package dev.vmsup.supervisor.sandbox;

/**
 * How a sandbox ended: a stop that was asked for or a clean QEMU exit, or a failure (QEMU died, QMP was lost,
 * virtiofsd died).
 */
public record Termination(boolean failed, String why) {
}
