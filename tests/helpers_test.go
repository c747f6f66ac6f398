package tests

import "github.com/openwebui-go/schema/db"

func dbDownAll() db.DownRequest { return db.DownRequest{All: true} }
func noOptions() db.Options     { return db.Options{} }
