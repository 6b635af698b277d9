package dev.vmsup.supervisor.api;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.sandbox.SandboxEvent;
import dev.vmsup.supervisor.sandbox.SandboxSnapshot;

/** JSON for the API: strict parsing of request bodies and the shapes of the replies. */
final class Json {
    private Json() {
    }

    /** Parses a body that must be an object with only {@code allowed} fields. */
    static ObjectNode object(String body, Set<String> allowed) {
        JsonNode node;
        try {
            node = JsonTrees.readStrict(body);
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON body");
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown field '" + name + "'");
            }
        }
        return object;
    }

    static ObjectNode sandbox(SandboxSnapshot s) {
        ObjectNode o = JsonTrees.object();
        o.put("id", s.id().value());
        o.put("state", s.state().name().toLowerCase());
        o.put("qemu_pid", s.qemuPid());
        if (s.virtiofsdPid() > 0) {
            o.put("virtiofsd_pid", s.virtiofsdPid());
        }
        o.put("mode", s.mode());
        o.put("cgroup_version", s.cgroupVersion().name().toLowerCase());
        ObjectNode cg = o.putObject("cgroups");
        CgroupLayout l = s.layout();
        cg.put("parent", l.parent().toString());
        cg.put("sandbox", l.sandbox().toString());
        cg.put("vcpu", l.vcpu().toString());
        cg.put("overhead", l.overhead() == null ? null : l.overhead().toString());
        cg.put("vmsup", l.supervisor().toString());
        cg.put("qemu", l.qemu().toString());
        o.set("vcpus", vcpus(s));
        var kernel = o.putArray("kernel_threads");
        for (KernelThreadInfo t : s.kernelThreads()) {
            kernel.addObject().put("pid", t.pid()).put("name", t.name()).put("cgroup", t.cgroup())
                    .put("placed", t.placed()).put("error", t.error());
        }
        o.set("resources", resources(s.resourcesInForce()));
        return o;
    }

    static ObjectNode vcpus(SandboxSnapshot s) {
        ObjectNode v = JsonTrees.object();
        v.put("count", s.vcpus().size());
        v.put("max", s.maxVcpus());
        var list = v.putArray("list");
        String vcpuCgroup = s.layout().vcpu().toString();
        for (VcpuInfo cpu : s.vcpus()) {
            ObjectNode c = list.addObject();
            c.put("index", cpu.index());
            c.put("thread_id", cpu.threadId());
            c.put("qom_path", cpu.qomPath());
            c.put("cgroup", cpu.placed() ? vcpuCgroup : null);
            c.put("placed", cpu.placed());
        }
        return v;
    }

    /** One event as a stream line: {"type", "time", ...its fields}. */
    static ObjectNode event(SandboxEvent e) {
        ObjectNode o = JsonTrees.object().put("type", e.type()).put("time", e.time().toString());
        e.fields().forEach((k, v) -> o.set(k, JsonTrees.valueOf(v)));
        return o;
    }

    static ObjectNode resources(Resources r) {
        ObjectNode o = JsonTrees.object();
        o.put("cpu_quota", r.cpuMax() == null ? null : r.cpuMax().quotaUs());
        o.put("cpu_period", r.cpuMax() == null ? null : r.cpuMax().periodUs());
        o.put("cpu_shares", r.cpuShares());
        o.put("cpus", r.cpus() == null ? null : r.cpus().toString());
        o.put("mems", r.mems() == null ? null : r.mems().toString());
        o.put("memory_limit", r.memoryMaxBytes());
        return o;
    }

    static ObjectNode containers(Map<String, ContainerResources> containers) {
        ObjectNode o = JsonTrees.object();
        containers.forEach((id, c) -> o.set(id, container(c)));
        return o;
    }

    /** A container's resources in OCI LinuxResources field names. */
    static ObjectNode container(ContainerResources c) {
        ObjectNode o = JsonTrees.object();
        ObjectNode cpu = o.putObject("cpu");
        putIf(cpu, "quota", c.cpuQuota());
        putIf(cpu, "period", c.cpuPeriod());
        putIf(cpu, "shares", c.cpuShares());
        if (c.cpus() != null) {
            cpu.put("cpus", c.cpus().toString());
        }
        if (c.mems() != null) {
            cpu.put("mems", c.mems().toString());
        }
        if (c.memoryLimit() != null) {
            o.putObject("memory").put("limit", c.memoryLimit());
        }
        return o;
    }

    private static void putIf(ObjectNode o, String name, Long value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    static ObjectNode stats(Map<String, CgroupStats> byCgroup) {
        ObjectNode o = JsonTrees.object();
        ObjectNode cg = o.putObject("cgroups");
        byCgroup.forEach((name, st) -> cg.set(name, stats(st)));
        o.set("sandbox_overhead", stats(overhead(byCgroup)));
        return o;
    }

    private static ObjectNode stats(CgroupStats s) {
        ObjectNode o = JsonTrees.object();
        o.put("cpu_usage_us", s.cpuUsageUs());
        o.put("cpu_throttled_us", s.cpuThrottledUs());
        o.put("cpu_throttled_periods", s.cpuThrottledPeriods());
        o.put("memory_current_bytes", s.memoryCurrentBytes());
        o.put("memory_anon_bytes", s.memoryAnonBytes());
        o.put("memory_file_bytes", s.memoryFileBytes());
        o.put("pids_current", s.pidsCurrent());
        return o;
    }

    /**
     * Everything of the sandbox outside the vcpu cgroup: the overhead cgroup plus what the sandbox cgroup holds
     * beyond its vcpu child. A figure the vcpu cgroup does not have (a threaded v2 cgroup has no memory: its threads'
     * pages are their process's) counts as zero there, so the sandbox's share is never dropped.
     */
    static CgroupStats overhead(Map<String, CgroupStats> s) {
        CgroupStats sandbox = s.get("sandbox");
        CgroupStats vcpu = s.get("vcpu");
        CgroupStats ovh = s.get("overhead") == null ? new CgroupStats(null, null, null, null, null, null, null)
                : s.get("overhead");
        return new CgroupStats(
                outside(sandbox.cpuUsageUs(), vcpu.cpuUsageUs(), ovh.cpuUsageUs()),
                outside(sandbox.cpuThrottledUs(), vcpu.cpuThrottledUs(), ovh.cpuThrottledUs()),
                outside(sandbox.cpuThrottledPeriods(), vcpu.cpuThrottledPeriods(), ovh.cpuThrottledPeriods()),
                outside(sandbox.memoryCurrentBytes(), vcpu.memoryCurrentBytes(), ovh.memoryCurrentBytes()),
                outside(sandbox.memoryAnonBytes(), vcpu.memoryAnonBytes(), ovh.memoryAnonBytes()),
                outside(sandbox.memoryFileBytes(), vcpu.memoryFileBytes(), ovh.memoryFileBytes()),
                outside(sandbox.pidsCurrent(), vcpu.pidsCurrent(), ovh.pidsCurrent()));
    }

    /** (sandbox - vcpu) + overhead, each part left out only where the cgroup that has it is absent. */
    static Long outside(Long sandbox, Long vcpu, Long overhead) {
        Long inSandbox = sandbox == null ? null : Math.max(0, sandbox - (vcpu == null ? 0 : vcpu));
        if (inSandbox == null) {
            return overhead;
        }
        return overhead == null ? inSandbox : inSandbox + overhead;
    }
}
