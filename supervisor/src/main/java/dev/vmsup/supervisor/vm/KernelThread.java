package dev.vmsup.supervisor.vm;

/** A kernel thread the kernel created for one VM, e.g. {@code kvm-pit/<QEMU pid>}. */
public record KernelThread(int pid, String name) {
}
