module pyexporter/demo-api-go

go 1.19
