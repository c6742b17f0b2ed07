-- The ЕГЭ minimum scores in force for every result year (of the ФИС ГИА exports and of the
-- regional diagnostic works), per subject: the seed row of the latest seed year not after
-- the result year; before the first seed year, the first one. So a new exam year needs no
-- seed rows unless the values change (macro seed_rows_in_force).

{{ seed_rows_in_force('min_scores', ['min_score', 'univ_score'], keys=['subject_code']) }}
