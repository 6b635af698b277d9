package dev.vmsup.supervisor.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.vmsup.supervisor.config.Accel;

/**
 * Resolves {@code accel = auto}. The rule: KVM when {@code /dev/kvm} is readable and writable and this host is not
 * itself a guest; otherwise multi-threaded TCG (one host thread per vCPU). A host whose CPU flags include
 * {@code hypervisor} runs under a hypervisor: nested KVM there may start QEMU and take CPU hotplug while paused yet
 * hang a booting guest (as on the machines this project is tested on), so auto keeps TCG and {@code --accel kvm}
 * is the explicit way to use KVM there.
 */
public final class AccelProbe {
    public static final String TCG = "tcg,thread=multi";
    public static final String KVM = "kvm";

    /** What {@code accel} resolves to on this host, and why. */
    public record Decision(String accel, String why) {
    }

    private AccelProbe() {
    }

    /** QEMU's {@code -accel} value for {@code accel}; {@code procRoot} is the host's {@code /proc}. */
    public static String resolve(Accel accel, Path procRoot) {
        return decide(accel, procRoot).accel();
    }

    /** As {@link #resolve}, with the reason in words (what {@code vmsup check} prints). */
    public static Decision decide(Accel accel, Path procRoot) {
        return switch (accel) {
            case KVM -> new Decision(KVM, "asked for");
            case TCG -> new Decision(TCG, "asked for");
            case AUTO -> {
                if (!Accel.kvmUsable(Accel.KVM_DEVICE)) {
                    yield new Decision(TCG, Accel.KVM_DEVICE + " is missing or not read-writable");
                }
                if (nested(procRoot.resolve("cpuinfo"))) {
                    yield new Decision(TCG, "this host runs under a hypervisor (CPU flag 'hypervisor'), where nested "
                            + "KVM guests may hang; --accel kvm forces KVM (paused VMs and placement work)");
                }
                yield new Decision(KVM, Accel.KVM_DEVICE + " is usable and this host is not nested");
            }
        };
    }


    /** True if the CPU flags say this host is a guest (or cpuinfo cannot be read: the cautious answer). */
    public static boolean nested(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" hypervisor "));
        } catch (IOException e) {
            return true;
        }
    }
}
