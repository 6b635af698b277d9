package dev.vmsup.supervisor.cgroups;

/** One vCPU as the supervisor sees it: QEMU's index, QOM path and host thread id, and whether it is placed. */
public record VcpuInfo(int index, String qomPath, int threadId, boolean placed) {
}
