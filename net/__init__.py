"""Wire format, keys and signatures, validation, and the adversarial simulated network."""
