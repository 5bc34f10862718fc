"""Query results as atoti prints them: measure formatters and the pretty-printing DataFrame.

* `formatter`: atoti's formatter strings (``DOUBLE[#,###.00]``, ``INT[#,###]``,
  ``DATE[yyyy-MM-dd]``, ``STRING``) applied to columns of values.
* `frame`: `QueryResult`, the pandas DataFrame ``cube.query`` returns in "pretty" mode: raw values
  as data, formatted values when printed (until the frame is modified).
"""
