package dev.vmsup.supervisor;

/** Human-readable lines about a running sandbox, for the terminal. */
final class Status {
    private Status() {
    }

    static String summary(Supervisor s) {
        CgroupLayout l = s.layout();
        StringBuilder sb = new StringBuilder();
        sb.append("vmsup: sandbox ").append(s.config().id()).append(' ').append(s.state().name().toLowerCase())
                .append(": QEMU pid ").append(s.qemuPid()).append(", cgroup ").append(s.cgroupVersion().name().toLowerCase())
                .append(", mode ").append(s.config().sandboxCgroupOnly() ? "sandbox_cgroup_only" : "overhead")
                .append('\n');
        sb.append("  vmsup    ").append(l.supervisor()).append('\n');
        sb.append("  qemu     ").append(l.qemu()).append('\n');
        if (s.virtiofsdPid() > 0) {
            sb.append("  virtiofsd pid ").append(s.virtiofsdPid()).append(" in ").append(l.supervisor()).append('\n');
        }
        sb.append("  vcpus    ").append(l.vcpu()).append(": ");
        s.vcpus().forEach(v -> sb.append("cpu").append(v.index()).append("=tid ").append(v.threadId())
                .append(v.placed() ? "" : " (gone)").append(' '));
        sb.append('\n').append("  cpu.max  ").append(s.resourcesInForce().cpuMax() == null ? "(not enforced)"
                : s.resourcesInForce().cpuMax().toV2());
        return sb.toString();
    }
}
