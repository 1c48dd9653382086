import dagster as dg

from pipeline.defs.partitions import daily_snapshots

# The whole daily census as one partitioned job: each stage adds its assets to the graph, so one
# run of this job always produces every table the project has.
daily_census = dg.define_asset_job(
    "daily_census",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_snapshots,
    description="Snapshot the Hub, stage, normalise and publish one day's release.",
)

# 01:00 UTC; with the partitions' end_offset=1 the tick requests today's partition. Running by
# default means the schedule works as soon as a daemon runs, without a click in the UI.
daily_census_schedule = dg.build_schedule_from_partitioned_job(
    daily_census,
    hour_of_day=1,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
