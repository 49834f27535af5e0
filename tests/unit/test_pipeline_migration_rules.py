"""What `pipelines migrate` refuses before reading any commitment."""

from __future__ import annotations

import pytest

from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.pipeline_migration import MigrationRefusedError, mapping_of

# Version 3 of the bill, kept beside version 4 and the bundled version 5: it maps from no
# earlier version.
BILL = Catalogue.from_directories([BUNDLED_PIPELINES / "previous"]).get("provincial_bill", 3)


def test_a_version_that_maps_no_earlier_one_says_how_to_declare_it() -> None:
    with pytest.raises(MigrationRefusedError) as refused:
        mapping_of(BILL)
    said = str(refused.value)
    assert f"pipeline 'provincial_bill' version {BILL.version} says from no earlier version" in said
    assert "`migrates_from:`" in said
