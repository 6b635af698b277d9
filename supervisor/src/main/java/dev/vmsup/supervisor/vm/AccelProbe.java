package dev.vmsup.supervisor.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.vmsup.supervisor.config.Accel;

/**
 * Resolves {@code accel = auto}: KVM only when {@code /dev/kvm} is usable and this host is not itself a guest
 * (nested KVM starts QEMU but guests hang on such hosts, so a "hypervisor" CPU flag means TCG); else
 * multi-threaded TCG, one host thread per vCPU.
 */
public final class AccelProbe {
    public static final String TCG = "tcg,thread=multi";
    public static final String KVM = "kvm";

    private AccelProbe() {
    }

    /** The KVM device. */
    public static final Path DEV_KVM = Path.of("/dev/kvm");

    /** QEMU's {@code -accel} value for {@code accel}; {@code procRoot} is the host's {@code /proc}. */
    public static String resolve(Accel accel, Path procRoot) {
        return switch (accel) {
            case KVM -> KVM;
            case TCG -> TCG;
            case AUTO -> kvmUsable(DEV_KVM) && !nested(procRoot.resolve("cpuinfo")) ? KVM : TCG;
        };
    }

    public static boolean kvmUsable(Path dev) {
        return Files.isReadable(dev) && Files.isWritable(dev);
    }

    public static boolean nested(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" hypervisor "));
        } catch (IOException e) {
            return true;
        }
    }
}
