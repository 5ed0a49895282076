//! HL7 v2 lab feed (placeholder while building).
