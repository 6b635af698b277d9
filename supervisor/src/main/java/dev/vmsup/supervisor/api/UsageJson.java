package dev.vmsup.supervisor.api;

import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.sandbox.SandboxSnapshot;
import dev.vmsup.supervisor.usage.Figure;
import dev.vmsup.supervisor.usage.OverheadReport;
import dev.vmsup.supervisor.usage.ProcessMemory;
import dev.vmsup.supervisor.usage.UsageSample;

/** JSON of the usage figures: the per-process part of {@code GET /v1/stats}, and {@code GET /v1/overhead}. */
final class UsageJson {
    private UsageJson() {
    }

    /** Per process and thread group: CPU time, tasks, and memory where the group is a process. */
    static ObjectNode processes(UsageSample s, SandboxSnapshot snapshot) {
        ObjectNode o = JsonTrees.object();
        process(o.putObject("vmsup"), ProcessHandle.current().pid(), s, "vmsup", s.memory().get("vmsup"));
        ObjectNode qemu = process(o.putObject("qemu"), snapshot.qemuPid(), s, null, s.memory().get("qemu"));
        qemu.put("cpu_usage_us", s.cpuMicros().get("qemu_vcpus") + s.cpuMicros().get("qemu_other"));
        qemu.put("tasks", s.tasks().get("qemu_vcpus") + s.tasks().get("qemu_other"));
        group(o.putObject("qemu_vcpu_threads"), s, "qemu_vcpus");
        group(o.putObject("qemu_other_threads"), s, "qemu_other")
                .put("memory_pss_bytes", s.memory().get("qemu").overheadPss());
        if (snapshot.virtiofsdPid() > 0) {
            process(o.putObject("virtiofsd"), snapshot.virtiofsdPid(), s, "virtiofsd", s.memory().get("virtiofsd"));
        }
        group(o.putObject("kernel_threads"), s, "kernel_threads");
        return o;
    }

    private static ObjectNode process(ObjectNode o, long pid, UsageSample s, String group, ProcessMemory m) {
        o.put("pid", pid);
        if (group != null) {
            group(o, s, group);
        }
        o.put("memory_rss_bytes", m.rss());
        o.put("memory_pss_bytes", m.pss());
        o.put("memory_anon_bytes", m.anon());
        o.put("memory_file_pss_bytes", m.pssFile());
        o.put("guest_ram_rss_bytes", m.guestRss());
        o.put("guest_ram_pss_bytes", m.guestPss());
        return o;
    }

    private static ObjectNode group(ObjectNode o, UsageSample s, String group) {
        o.put("cpu_usage_us", s.cpuMicros().get(group));
        o.put("tasks", s.tasks().get(group));
        return o;
    }

    static ObjectNode overhead(OverheadReport r, SandboxSnapshot s, String runtimeClass) {
        ObjectNode o = JsonTrees.object();
        o.put("window_ms", r.windowMillis());
        o.put("samples", r.samples());
        figures(o.putObject("memory_bytes"), r.memoryBytes());
        ObjectNode guest = o.putObject("guest");
        guest.put("memory_bytes", r.guestMemoryBytes());
        guest.put("container_limits_bytes", r.containerLimitsBytes());
        guest.put("base_bytes", r.guestBaseBytes());
        figure(guest.putObject("ram_resident_bytes"), r.guestRamResident());
        figures(o.putObject("cpu_millicores"), r.cpuMillicores());
        o.put("charged_to_sandbox_cgroup", chargedToSandbox(s));
        ObjectNode rec = o.putObject("recommendation");
        rec.put("margin_percent", r.marginPercent());
        rec.put("memory_bytes", r.recommendedMemoryBytes());
        rec.put("memory", r.memoryQuantity());
        rec.put("cpu_millicores", r.recommendedCpuMillicores());
        rec.put("cpu", r.cpuQuantity());
        o.put("runtime_class_yaml", r.runtimeClassYaml(runtimeClass));
        return o;
    }

    /** What of the overhead the sandbox cgroup (inside the pod's cgroup) is charged with, in this mode. */
    static String chargedToSandbox(SandboxSnapshot s) {
        if (s.sandboxCgroupOnly()) {
            return "everything: vmsup, virtiofsd, QEMU and the guest's RAM";
        }
        if (s.cgroupVersion() == CgroupVersion.V2) {
            return "QEMU (the CPU of all its threads, its memory including the guest's RAM); vmsup and virtiofsd are "
                    + "charged to the overhead cgroup";
        }
        return "the vCPU threads' CPU only; vmsup, virtiofsd and QEMU's process (its other threads, its memory "
                + "including the guest's RAM) are charged to the overhead cgroup";
    }

    private static void figures(ObjectNode o, Map<String, Figure> figures) {
        figures.forEach((name, f) -> figure(o.putObject(name), f));
    }

    private static void figure(ObjectNode o, Figure f) {
        o.put("current", f.current()).put("max", f.max()).put("p95", f.p95());
    }
}
