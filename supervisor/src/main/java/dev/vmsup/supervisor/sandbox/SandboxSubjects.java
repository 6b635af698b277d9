package dev.vmsup.supervisor.sandbox;

import java.util.List;
import java.util.function.Supplier;

import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.usage.Subjects;

/** What the usage sampler measures of a sandbox, read from its latest snapshot each time. */
final class SandboxSubjects {
    private SandboxSubjects() {
    }

    static Supplier<Subjects> of(Sandbox sandbox) {
        long self = ProcessHandle.current().pid();
        long guestMemory = sandbox.config().memoryMib() * 1024L * 1024L;
        return () -> {
            SandboxSnapshot s = sandbox.snapshot();
            List<Long> vcpus = s.vcpus().stream().filter(v -> v.threadId() > 0).map(v -> (long) v.threadId()).toList();
            List<Long> kernel = s.kernelThreads().stream().map(KernelThreadInfo::pid).map(Long::valueOf).toList();
            long limits = 0;
            for (ContainerResources c : s.containers().values()) {
                if (c.hasMemoryLimit()) {
                    limits = Math.addExact(limits, c.memoryLimit());
                }
            }
            return new Subjects(self, s.qemuPid(), s.virtiofsdPid(), vcpus, kernel, guestMemory, limits);
        };
    }
}
