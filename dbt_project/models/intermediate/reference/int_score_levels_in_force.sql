-- The score levels in force for every result year (high level, the mark that is below the
-- minimum), chosen from the seed score_levels like int_min_scores_in_force (macro
-- seed_rows_in_force).

{{ seed_rows_in_force(
    'score_levels', ['high_level_test_score', 'high_level_mark', 'below_min_mark']
) }}
