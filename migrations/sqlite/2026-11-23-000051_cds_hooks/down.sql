DROP TABLE cds_issued;
DROP TABLE cds_jti;
