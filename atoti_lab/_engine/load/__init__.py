"""Sources (CSV, Parquet, Arrow, pandas, NumPy) -> typed pyarrow Tables plus a list of load issues."""
