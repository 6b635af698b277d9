package dev.vmsup.supervisor.usage;

/**
 * One process's memory from {@code /proc/<pid>/smaps}, in bytes. PSS counts a page shared by n processes as 1/n in
 * each, so summing PSS over processes never counts a page twice. The guest's RAM (the mapping that backs it in QEMU,
 * and the same memfd mapped by virtiofsd) is counted apart: it is the VM's memory, not overhead.
 *
 * @param rss      resident set, guest RAM included
 * @param pss      proportional set, guest RAM included
 * @param anon     resident anonymous memory (private to the process), guest RAM included
 * @param pssFile  PSS of file-backed pages (libraries, the class-data archive)
 * @param guestRss resident part of the guest RAM mapping(s)
 * @param guestPss PSS of the guest RAM mapping(s)
 */
public record ProcessMemory(long rss, long pss, long anon, long pssFile, long guestRss, long guestPss) {
    public static final ProcessMemory NONE = new ProcessMemory(0, 0, 0, 0, 0, 0);

    /** The sum of two processes' figures (a process and its children). */
    public ProcessMemory plus(ProcessMemory o) {
        return new ProcessMemory(rss + o.rss, pss + o.pss, anon + o.anon, pssFile + o.pssFile, guestRss + o.guestRss,
                guestPss + o.guestPss);
    }

    /** PSS outside the guest's RAM: what this process costs the host beyond the VM's memory. */
    public long overheadPss() {
        return Math.max(0, pss - guestPss);
    }

    /** Anonymous memory outside the guest's RAM. */
    public long overheadAnon() {
        return Math.max(0, anon - guestRss);
    }
}
