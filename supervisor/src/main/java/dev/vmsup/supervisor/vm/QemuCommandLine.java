package dev.vmsup.supervisor.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.vmsup.supervisor.config.SupervisorConfig;





/**
 * The QEMU argv for a sandbox (an argument list, never a shell line): named threads, paused start, QMP socket,
 * hotplug-ready topology (one socket per possible vCPU), q35, the accelerator, no default devices or display,
 * the serial console, and the guest kernel when given. Pure.
 */
public final class QemuCommandLine {
    private QemuCommandLine() {
    }

    /** @param accel QEMU's {@code -accel} value, e.g. {@code tcg,thread=multi} or {@code kvm} */
    public static List<String> build(SupervisorConfig c, String accel) {
        List<String> argv = new ArrayList<>();
        argv.add(c.qemuPath().toString());
        add(argv, "-name", c.id().value() + ",debug-threads=on");
        argv.add("-S");
        add(argv, "-machine", "q35");
        add(argv, "-accel", accel);
        add(argv, "-smp", c.vcpus() + ",maxcpus=" + c.maxVcpus() + ",sockets=" + c.maxVcpus() + ",cores=1,threads=1");
        add(argv, "-m", c.memoryMib() + "M");
        if (c.share() != null) {
            // vhost-user needs the guest's memory in a shareable memfd
            add(argv, "-object", "memory-backend-memfd,id=mem,size=" + c.memoryMib() + "M,share=on");
            add(argv, "-numa", "node,memdev=mem");
            add(argv, "-chardev", "socket,id=vfs,path=" + escape(c.virtiofsSocket()));
            add(argv, "-device", "vhost-user-fs-pci,chardev=vfs,tag=" + c.share().tag());
        }
        argv.add("-nodefaults");
        argv.add("-no-user-config");
        add(argv, "-display", "none");
        add(argv, "-qmp", "unix:" + escape(c.qmpSocket()) + ",server=on,wait=off");
        add(argv, "-serial", switch (c.serial()) {
            case "stdio", "none" -> c.serial();
            default -> "file:" + c.serial();
        });
        if (c.kernel() != null) {
            add(argv, "-kernel", c.kernel().toString());
        }
        if (c.initrd() != null) {
            add(argv, "-initrd", c.initrd().toString());
        }
        if (c.kernel() != null && !c.kernelParams().isBlank()) {
            add(argv, "-append", c.kernelParams());
        }
        return argv;
    }

    private static void add(List<String> argv, String option, String value) {
        argv.add(option);
        argv.add(value);
    }

    /** QEMU option values separate keys with commas; a literal comma is written twice. */
    static String escape(Path path) {
        return path.toString().replace(",", ",,");
    }
}
