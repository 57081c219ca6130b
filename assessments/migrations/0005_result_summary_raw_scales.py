"""Issue 19: a result's summary gives each dimension as its raw score on the instrument's own
range ("26 on the 6–30 scale"), as every ATS write-back does. Results scored before said the
0–100 position there ("Dominance (83/100)"); a write-back redelivered later (held, retried) would
send that again beside the raw scores. Rewritten from the stored dimensions by the scorer's own
summarize(); a row that cannot be read back (an instrument the catalog no longer has, a dimension
record of another shape) keeps its text."""

from django.db import migrations


def summaries_on_raw_scales(apps, schema_editor):
    from assessments.catalog import UnknownInstrument, instrument_get
    from assessments.scoring import DimensionScore, summarize

    Result = apps.get_model("assessments", "Result")
    for result in Result.objects.select_related("run").iterator(chunk_size=500):
        try:
            instrument = instrument_get(result.run.instrument, result.instrument_version)
            dimensions = tuple(DimensionScore(**d) for d in result.dimensions)
            summary = summarize(instrument, dimensions, result.primary_dimension)
        except (UnknownInstrument, KeyError, TypeError, StopIteration):
            continue
        if summary != result.summary:
            Result.objects.filter(pk=result.pk).update(summary=summary)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_run_invited_by")]

    operations = [migrations.RunPython(summaries_on_raw_scales, migrations.RunPython.noop)]
