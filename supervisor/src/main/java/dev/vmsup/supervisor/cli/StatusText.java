package dev.vmsup.supervisor.cli;

import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.sandbox.SandboxSnapshot;


























/** Human-readable lines about a running sandbox, for the terminal. */
final class StatusText {
    private StatusText() {
    }

    static String summary(SandboxSnapshot s) {
        CgroupLayout l = s.layout();
        StringBuilder sb = new StringBuilder();
        sb.append("vmsup: sandbox ").append(s.id()).append(' ').append(s.state().name().toLowerCase())
                .append(": QEMU pid ").append(s.qemuPid()).append(", cgroup ").append(s.cgroupVersion().name().toLowerCase())
                .append(", mode ").append(s.mode()).append('\n');
        sb.append("  vmsup    ").append(l.supervisor()).append('\n');
        sb.append("  qemu     ").append(l.qemu()).append('\n');
        if (s.virtiofsdPid() > 0) {
            sb.append("  virtiofsd pid ").append(s.virtiofsdPid()).append(" in ").append(l.supervisor()).append('\n');
        }
        sb.append("  vcpus    ").append(l.vcpu()).append(": ");
        s.vcpus().forEach(v -> sb.append("cpu").append(v.index()).append("=tid ").append(v.threadId())
                .append(v.placed() ? "" : " (gone)").append(' '));
        s.kernelThreads().forEach(t -> sb.append('\n').append("  kernel   ").append(t.name()).append(" pid ").append(t.pid())
                .append(t.placed() ? " in " + t.cgroup() : " NOT MOVED: " + t.error()));
        sb.append('\n').append("  cpu.max  ").append(s.resourcesInForce().cpuMax() == null ? "(not enforced)"
                : s.resourcesInForce().cpuMax().toV2());
        return sb.toString();
    }
}
