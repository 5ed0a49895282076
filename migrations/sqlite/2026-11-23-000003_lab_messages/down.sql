DROP TABLE lab_messages;
