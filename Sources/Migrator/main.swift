print("migrator")
