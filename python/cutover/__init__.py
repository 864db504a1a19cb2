"""cutover: a local AWS emulator for ECS blue/green deployments through CodeDeploy.

`Emulator` runs the `cutover` program (installed with this package) on a free port and drives its
control API; the pytest plugin (`cutover.pytest_plugin`, registered by entry point) gives the
fixtures `cutover_server`, `cutover` and `cutover_env`. See docs/python.md.

    import cutover

    with cutover.Emulator() as emu:          # manual clock: time moves with advance()
        ecs = emu.client("ecs")
        ecs.create_cluster(clusterName="demo")
        emu.advance(60)
"""

from ._emulator import (
    ControlError,
    CutoverError,
    Emulator,
    NotSupported,
    StartError,
    access_key_for,
    clock_body,
    find_binary,
)

__all__ = [
    "ControlError",
    "CutoverError",
    "Emulator",
    "NotSupported",
    "StartError",
    "access_key_for",
    "clock_body",
    "find_binary",
]
