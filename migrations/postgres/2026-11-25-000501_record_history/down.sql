DROP TABLE profile_choices;
DROP TABLE pregnancy_revisions;
