# Python 2.7 (the only Python the mesos.scheduler 1.11.0 build loads in). Started by `run`.
"""A framework that only holds a real in-process Mesos cluster up: with master "local" the
scheduler driver launches a Mesos master and MESOS_NUM_SLAVES agents inside this process
(libmesos `local::launch`), configured by the MESOS_* and LIBPROCESS_* environment `run` sets.
The framework registers as `real-mesos-probe` and declines every offer, so the cluster keeps all
its resources free for whatever reads it.

The process lives until SIGTERM, SIGINT or SIGHUP, or until its parent goes away (so a test that
dies without cleaning up does not leave a master behind).
"""
from __future__ import print_function

import os
import signal
import sys
import threading
import time

from mesos.interface import Scheduler, mesos_pb2
from mesos.scheduler import MesosSchedulerDriver

FRAMEWORK_NAME = "real-mesos-probe"
# Declined resources come back after this long; long enough that offers do not churn.
DECLINE_SECONDS = 60.0


def say(message):
    print("real-mesos-probe: " + message)
    sys.stdout.flush()


class DecliningScheduler(Scheduler):
    def registered(self, driver, framework_id, master_info):
        say("registered as framework %s with master %s:%d"
            % (framework_id.value, master_info.hostname, master_info.port))

    def reregistered(self, driver, master_info):
        say("re-registered with master %s:%d" % (master_info.hostname, master_info.port))

    def disconnected(self, driver):
        say("disconnected from the master")

    def resourceOffers(self, driver, offers):
        filters = mesos_pb2.Filters(refuse_seconds=DECLINE_SECONDS)
        for offer in offers:
            driver.declineOffer(offer.id, filters)

    def error(self, driver, message):
        say("error from the master: " + message)
        os._exit(1)


def main():
    parent = os.getppid()
    framework = mesos_pb2.FrameworkInfo(user="", name=FRAMEWORK_NAME)
    driver = MesosSchedulerDriver(DecliningScheduler(), framework, "local")

    def stop(signum, _frame):
        say("signal %d: stopping" % signum)
        # The master and agents are threads of this process: leaving the process ends them.
        os._exit(0)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        say("parent process %d is gone: stopping" % parent)
        os._exit(0)

    watcher = threading.Thread(target=watch_parent, name="watch-parent")
    watcher.daemon = True
    watcher.start()

    status = driver.start()
    if status != mesos_pb2.DRIVER_RUNNING:
        say("the scheduler driver did not start (status %d)" % status)
        return 1
    # Sleep in Python rather than in driver.join(): signal handlers only run between bytecodes.
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
