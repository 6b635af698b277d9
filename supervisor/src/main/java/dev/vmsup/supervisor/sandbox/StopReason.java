package dev.vmsup.supervisor.sandbox;

/** Why the sandbox is ending: a stop asked for, QEMU's exit, or a failure it cannot go on after. */
record StopReason(String why, boolean failure) {
}
