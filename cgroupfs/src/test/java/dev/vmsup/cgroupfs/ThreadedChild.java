package dev.vmsup.cgroupfs;

import java.util.concurrent.CountDownLatch;

/** A child process for tests: starts N threads, prints "TID n" for each, then waits until killed. */
public final class ThreadedChild {
    private ThreadedChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]);
        CountDownLatch forever = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                synchronized (ThreadedChild.class) {
                    System.out.println("TID " + Prerequisites.currentTid());
                    System.out.flush();
                }
                try {
                    forever.await();
                } catch (InterruptedException ignored) {
                    // exit
                }
            }, "child-" + i);
            t.setDaemon(false);
            t.start();
        }
        forever.await();
    }
}
