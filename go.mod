module github.com/trelab/airlock

go 1.26.8
