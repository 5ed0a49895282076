DROP TABLE clinic_profiles;
DROP TABLE code_maps;
