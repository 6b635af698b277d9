package dev.vmsup.cgroupfs;

/** The two cgroup interfaces of the kernel. */
public enum CgroupVersion {
    V1, V2
}
