package dev.vmsup.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves {@code accel = auto}: KVM only when {@code /dev/kvm} is usable and this host is not itself a guest
 * (nested KVM starts QEMU but guests hang on such hosts, so a "hypervisor" CPU flag means TCG); else
 * multi-threaded TCG, one host thread per vCPU.
 */
final class AccelProbe {
    static final String TCG = "tcg,thread=multi";
    static final String KVM = "kvm";

    private AccelProbe() {
    }

    static String resolve(Accel accel) {
        return switch (accel) {
            case KVM -> KVM;
            case TCG -> TCG;
            case AUTO -> kvmUsable(Path.of("/dev/kvm")) && !nested(Path.of("/proc/cpuinfo")) ? KVM : TCG;
        };
    }

    static boolean kvmUsable(Path dev) {
        return Files.isReadable(dev) && Files.isWritable(dev);
    }

    static boolean nested(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" hypervisor "));
        } catch (IOException e) {
            return true;
        }
    }
}
